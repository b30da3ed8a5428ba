// AgentCache in a directory on the machine running cac: `<dir>/<kind>/<version>/<platform>.tar`, one
// uncompressed tar of an install prefix each (restoring is a plain stream, no CPU spent unpacking), and
// `latest.json`, the versions "latest" was resolved to. Entries are written to a temp file and renamed,
// so a reader never sees half an entry. The prefix is tarred out of the container with a docker child
// process whose stdout is the file (the Host port collects output as text, not bytes).
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CacError } from '../../errors.js';
import { AGENT_KINDS, EXACT_VERSION } from '../../domain/kinds.js';
import type { AgentCache, AgentCacheKey, CachedAgent } from '../../ports/agent-cache.js';
import type { Host } from '../../ports/host.js';
import { writeFileAtomic } from '../../util/fs.js';

export interface DirAgentCacheOptions {
  dir: string;
  /** Where `npm view` runs to resolve "latest" (the machine running cac, with its npm config). */
  host: Host;
  npmPath?: string;
  /** The local docker client that can tar a prefix out of a container; absent: entries are only read. */
  docker?: { path: string; env: Record<string, string> };
  now?: () => number;
}

const PLATFORM = /^[A-Za-z0-9_]{1,32}-(gnu|musl)$/;
type Resolved = Record<string, { version: string; resolvedAt: string }>;

export class DirAgentCache implements AgentCache {
  readonly save?: AgentCache['save'];

  constructor(private readonly opts: DirAgentCacheOptions) {
    if (opts.docker) {
      const docker = opts.docker;
      this.save = (key, from, dir, signal) => this.saveFrom(docker, key, from, dir, signal);
    }
  }

  get dir(): string {
    return this.opts.dir;
  }

  async resolve(pkg: string, spec: string, opts: { refresh?: boolean; signal?: AbortSignal } = {}): Promise<string> {
    if (spec !== 'latest') return spec;
    const file = join(this.opts.dir, 'latest.json');
    const known = await readJson(file);
    const recorded = known[pkg]?.version;
    if (recorded && !opts.refresh) return recorded;
    const r = await this.opts.host.exec([this.opts.npmPath ?? 'npm', 'view', pkg, 'version'], { timeoutMs: 60_000, ...(opts.signal ? { signal: opts.signal } : {}) });
    const version = r.stdout.trim();
    if (r.exitCode !== 0 || !EXACT_VERSION.test(version)) {
      if (recorded) return recorded;
      const why = r.exitCode !== 0 ? `exit ${r.exitCode}: ${r.stderr.trim().split('\n').pop() ?? ''}` : `unexpected answer ${JSON.stringify(version.slice(0, 80))}`;
      throw new CacError('ERR_AGENT_VERSION', `cannot resolve the latest version of ${pkg} (npm view ${pkg} version: ${why})`, {
        hint: 'set an exact [agents.<kind>] version, or check the npm registry is reachable',
      });
    }
    await mkdir(this.opts.dir, { recursive: true });
    await writeFileAtomic(file, `${JSON.stringify({ ...known, [pkg]: { version, resolvedAt: new Date(this.now()).toISOString() } }, null, 2)}\n`);
    return version;
  }

  async open(key: AgentCacheKey): Promise<Readable | undefined> {
    const file = this.fileOf(key);
    const st = await stat(file).catch(() => undefined);
    return st?.isFile() ? createReadStream(file) : undefined;
  }

  async drop(key: AgentCacheKey): Promise<void> {
    await rm(this.fileOf(key), { force: true });
  }

  async list(): Promise<CachedAgent[]> {
    const out: CachedAgent[] = [];
    for (const kind of AGENT_KINDS) {
      for (const version of await names(join(this.opts.dir, kind))) {
        if (!EXACT_VERSION.test(version)) continue;
        for (const f of await names(join(this.opts.dir, kind, version))) {
          const platform = f.endsWith('.tar') ? f.slice(0, -4) : '';
          if (!PLATFORM.test(platform)) continue;
          const path = join(this.opts.dir, kind, version, f);
          const st = await stat(path).catch(() => undefined);
          if (st?.isFile()) out.push({ kind, version, platform, bytes: st.size, storedAt: st.mtime.toISOString(), path });
        }
      }
    }
    return out;
  }

  /** The versions "latest" was resolved to, by package. */
  async resolved(): Promise<Resolved> {
    return readJson(join(this.opts.dir, 'latest.json'));
  }

  fileOf(key: AgentCacheKey): string {
    // every part is checked: they come from config, the registry and container output
    if (!(AGENT_KINDS as readonly string[]).includes(key.kind) || !EXACT_VERSION.test(key.version) || !PLATFORM.test(key.platform)) {
      throw new CacError('ERR_INVALID_INPUT', `not an agent cache key: ${JSON.stringify(key)}`);
    }
    return join(this.opts.dir, key.kind, key.version, `${key.platform}.tar`);
  }

  private async saveFrom(
    docker: { path: string; env: Record<string, string> },
    key: AgentCacheKey,
    from: { containerId: string; remoteUser: string },
    dir: string,
    signal?: AbortSignal,
  ): Promise<void> {
    const file = this.fileOf(key);
    await mkdir(join(file, '..'), { recursive: true });
    const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
    const user = from.remoteUser ? ['-u', from.remoteUser] : [];
    const child = spawn(docker.path, ['exec', ...user, from.containerId, 'tar', '-C', dir, '-cf', '-', '.'], {
      env: docker.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(signal ? { signal } : {}),
    });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
    const exited = new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', resolve);
    });
    // awaited below; a spawn error that also breaks the pipe must not surface as an unhandled rejection
    exited.catch(() => undefined);
    try {
      await pipeline(child.stdout, createWriteStream(tmp, { mode: 0o644 }));
      const code = await exited;
      if (code !== 0) throw new CacError('ERR_AGENT_CACHE', `tar of ${dir} in the container failed (exit ${String(code)}): ${stderr.trim().split('\n').pop() ?? ''}`);
      await rename(tmp, file);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }
}

async function names(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => []);
}

async function readJson(file: string): Promise<Resolved> {
  try {
    const doc = JSON.parse(await readFile(file, 'utf8')) as unknown;
    return doc && typeof doc === 'object' ? (doc as Resolved) : {};
  } catch {
    return {};
  }
}
