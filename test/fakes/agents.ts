// Fakes of OUR ports for agent unit tests: in-memory host files, and a recording Host that plays the
// docker client (it receives the real `docker exec …` argv a ContainerHost builds).
import type { Readable } from 'node:stream';
import { extract } from 'tar-stream';
import type { Config } from '../../src/config/schema.js';
import { defaultConfig } from '../../src/config/defaults.js';
import type { ExecOptions, ExecResult, Host } from '../../src/ports/host.js';
import type { HostFiles } from '../../src/core/agents/host-material.js';
import type { AgentDeps } from '../../src/core/agents/deps.js';
import { ContainerHost } from '../../src/adapters/host/container.js';
import { recordingReporter } from './reporter.js';
import { CacError, interrupted } from '../../src/errors.js';
import type { AgentVolume, AgentVolumes } from '../../src/ports/agent-volumes.js';
import { dataNameOf, isVolumeKey, volumeNameOf } from '../../src/domain/agent-volume.js';
import { DISCOVER_MARK } from '../../src/core/agents/discover.js';
import { INJECT_MARK } from '../../src/core/agents/inject-script.js';
import { FINISH_MARK } from '../../src/core/agents/finish-script.js';
import { INSTALL_MARK } from '../../src/core/agents/install.js';
import { CACHE_MARK } from '../../src/core/agents/cache.js';
import type { AgentCache, AgentCacheKey, CachedAgent } from '../../src/ports/agent-cache.js';
import { Readable as ReadableStream } from 'node:stream';
import { READ_MARK } from '../../src/core/agents/sync-back.js';
import { sha256 } from '../../src/core/agents/plan.js';

export const HOME = '/home/me';

/** Host files in memory: path → content (a string) or a mode-carrying record. */
export class MemFiles implements HostFiles {
  files = new Map<string, { data: Buffer; mode: number }>();
  unreadable = new Set<string>();

  constructor(init: Record<string, string> = {}) {
    for (const [p, d] of Object.entries(init)) this.put(p, d);
  }

  put(path: string, data: string | Buffer, mode = 0o644): void {
    this.files.set(path, { data: Buffer.from(data), mode });
  }

  text(path: string): string | undefined {
    return this.files.get(path)?.data.toString('utf8');
  }

  async stat(path: string) {
    const f = this.files.get(path);
    if (f) return { type: 'file' as const, size: f.data.length, mode: f.mode };
    return [...this.files.keys()].some((k) => k.startsWith(`${path}/`)) ? { type: 'dir' as const, size: 0, mode: 0o755 } : undefined;
  }

  async list(dir: string) {
    const names = [...this.files.keys()].filter((k) => k.startsWith(`${dir}/`)).map((k) => k.slice(dir.length + 1).split('/')[0] ?? '');
    return [...new Set(names)];
  }

  async read(path: string) {
    const f = this.files.get(path);
    if (!f || this.unreadable.has(path)) throw new Error(`EACCES: ${path}`);
    return f.data;
  }

  async write(path: string, data: Uint8Array | string, mode: number) {
    this.put(path, Buffer.from(data), mode);
  }
}

export interface Call {
  argv: string[];
  /** The env the docker client was given (values included: the test checks they stay off argv). */
  env: Record<string, string>;
  /** What kind of container-side command this was. */
  what: 'inject' | 'discover' | 'tar' | 'finish' | 'install' | 'cache' | 'read' | 'other';
  /** The bytes on stdin, for the cached-install scripts (a restored prefix). */
  stdin?: Buffer;
}

/** A Host standing in for the machine running the docker client; the container lives in memory. */
export class FakeDocker implements Host {
  readonly kind = 'local' as const;
  calls: Call[] = [];
  containerFiles = new Map<string, { mode: number; data?: Buffer }>();
  /** Container paths that are symbolic links (the read script reports them instead of reading). */
  containerLinks = new Set<string>();
  home = '/home/dev';
  bins: Record<string, string> = {};
  tools: Record<string, string> = { node: '/usr/bin/node', npm: '/usr/bin/npm' };
  /** Install outcomes per agent kind, in order (default: success). */
  installs: Record<string, ExecResult[]> = {};
  tarStderr: string | undefined;
  finishExit = 0;
  discoverExit = 0;
  /** `uname -m`-libc the discovery reports; unset: no platform line (the cache is not used). */
  platform: string | undefined;
  /** A restored prefix whose binary does not run (its `--version` fails). */
  brokenRestore = false;
  /** Agent volumes mounted in the container (their paths), and whether their binary runs. */
  volumes = new Map<string, { broken: boolean }>();

  async exec(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const script = argv[argv.indexOf('-c') + 1] ?? '';
    const what: Call['what'] = script.startsWith(INJECT_MARK)
      ? 'inject'
      : script.includes('exec tar -x')
        ? 'tar'
        : script.startsWith(DISCOVER_MARK)
          ? 'discover'
          : script.startsWith(FINISH_MARK)
            ? 'finish'
            : script.startsWith(INSTALL_MARK)
              ? 'install'
              : script.startsWith(CACHE_MARK)
                ? 'cache'
                : script.startsWith(READ_MARK)
                  ? 'read'
                  : 'other';
    const stdin = what === 'cache' && opts.stdin instanceof ReadableStream ? await collect(opts.stdin) : undefined;
    this.calls.push({ argv: [...argv], env: { ...opts.env }, what, ...(stdin ? { stdin } : {}) });
    if (opts.signal?.aborted) throw interrupted();
    if (what === 'discover') return this.discoverExit ? { exitCode: this.discoverExit, stdout: '', stderr: 'unable to find user dev' } : ok(this.discoverOut());
    if (what === 'inject') return this.inject(script, opts.stdin as Readable | undefined);
    if (what === 'finish') return ok(`finish\t${this.finishExit}\n`);
    if (what === 'install') {
      const kind = script.split('\n')[0]?.split(' ').pop() ?? '';
      const r = this.installs[kind]?.shift() ?? ok('');
      if (r.exitCode === 0) this.bins[kind] = `${this.home}/.local/bin/${kind}`;
      return r;
    }
    if (what === 'cache') return this.cached(script, stdin);
    if (what === 'read') return ok(this.readOut(script));
    return { exitCode: 1, stdout: '', stderr: 'unexpected command' };
  }

  async putFiles(): Promise<void> {
    throw new Error('the docker client host never receives putFiles');
  }

  of(what: Call['what']): Call[] {
    return this.calls.filter((c) => c.what === what);
  }

  // a cached-install script: restore (a tar on stdin) or install (npm), then the version probe
  private cached(script: string, stdin: Buffer | undefined): ExecResult {
    if (script.split('\n')[0]?.endsWith(' link')) return this.linked(script);
    const [, kind = '', version = ''] = /cac-agents\/([a-z]+)-([0-9][^'"\s]*)/.exec(script) ?? [];
    const restore = script.split('\n')[0]?.endsWith(' restore');
    if (restore && (this.brokenRestore || !stdin?.length)) return ok('verify\t127\tnot found\n');
    this.bins[kind] = `${this.home}/.local/bin/${kind}`;
    return ok(`verify\t0\t${kind}-cli ${version}\n`);
  }

  // a link script: the volume's binary linked and probed, or `volume\tabsent`
  private linked(script: string): ExecResult {
    const [, path = '', kind = '', version = ''] = /^p='?(\/opt\/cac-agents\/([a-z]+)-(\d+\.\d+\.\d+)-[^'\n]+?)'?$/m.exec(script) ?? [];
    const volume = this.volumes.get(path);
    if (!volume) return ok('volume\tabsent\n');
    if (volume.broken) return ok('verify\t126\tcannot execute\n');
    this.bins[kind] = `${this.home}/.local/bin/${kind}`;
    return ok(`verify\t0\t${kind}-cli ${version}\n${script.includes('\ncac_finish\n') ? `finish\t${this.finishExit}\n` : ''}`);
  }

  private discoverOut(): string {
    const lines = [`home\t${this.home}`, 'ids\t1000\t1000\tdev', ...(this.platform ? [`platform\t${this.platform}`] : [])];
    for (const [k, p] of Object.entries(this.bins)) lines.push(`bin\t${k}\t${p}`);
    for (const [t, p] of Object.entries(this.tools)) lines.push(`tool\t${t}\t${p}`);
    return `${lines.join('\n')}\n`;
  }

  private async inject(script: string, stdin: Readable | undefined): Promise<ExecResult> {
    if (this.discoverExit) return { exitCode: this.discoverExit, stdout: '', stderr: 'unable to find user dev' };
    let out = this.discoverOut();
    const excluded = new Set<string>();
    for (const m of script.matchAll(/^cac_keep (\d+) (\S+) (\S+) && set/gm)) {
      const f = this.containerFiles.get(`${this.home}/${m[2]}`);
      if (!f?.data || sha256(f.data) === m[3]) continue;
      out += `kept\t${m[1]}\t${f.data.toString('base64')}\n`;
      excluded.add(m[2] ?? '');
    }
    if (stdin) {
      await this.untar(stdin, excluded);
      const errs = (this.tarStderr ?? '').split('\n').filter(Boolean);
      out += `tar\t${errs.length ? 2 : 0}\n${errs.map((l) => `tarerr\t${l}\n`).join('')}`;
    }
    out += this.volumeLinks(script);
    if (script.includes('cac_finish')) out += `finish\t${this.finishExit}\n`;
    return { exitCode: 0, stdout: out, stderr: this.finishExit ? 'mkdir: cannot create directory: Permission denied' : '' };
  }

  // the one exec's volume links: an agent not found, with node, links its volume's binary when mounted
  private volumeLinks(script: string): string {
    let out = '';
    for (const m of script.matchAll(/^ {2}cac_vlink '?(\w+)'? '?([^'"]+)'?"\$cac_plat"/gm)) {
      const kind = m[1] ?? '';
      if (this.bins[kind] || !this.tools.node || !this.platform) continue;
      const volume = this.volumes.get(`${m[2]}${this.platform}`);
      if (!volume) out += `link\t${kind}\tabsent\n`;
      else if (volume.broken) out += `link\t${kind}\tverify\t126\tcannot execute\n`;
      else {
        this.bins[kind] = `${this.home}/.local/bin/${kind}`;
        out += `link\t${kind}\tverify\t0\t${kind}-cli ${/-(\d+\.\d+\.\d+)-$/.exec(m[2] ?? '')?.[1] ?? ''}\n`;
      }
    }
    return out;
  }

  private async untar(stdin: Readable, excluded: Set<string>): Promise<void> {
    const ex = extract();
    ex.on('entry', (h, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => chunks.push(c as Buffer));
      stream.on('end', () => {
        const name = h.name.replace(/\/$/, '');
        const path = name.startsWith('/') ? name : `${this.home}/${name}`;
        if (!excluded.has(name)) this.containerFiles.set(path, { mode: h.mode ?? 0, ...(h.type === 'file' ? { data: Buffer.concat(chunks) } : {}) });
        next();
      });
    });
    await new Promise<void>((resolve, reject) => {
      ex.on('finish', resolve);
      ex.on('error', reject);
      stdin.pipe(ex);
    });
  }

  private readOut(script: string): string {
    const list = /for p in (.*); do/.exec(script)?.[1] ?? '';
    const paths = list.split(' ').map((p) => p.replace(/^'|'$/g, ''));
    return paths
      .map((p, i) => {
        if (this.containerLinks.has(p)) return `refused\t${i}\tlink\n`;
        const f = this.containerFiles.get(p);
        return f?.data ? `file\t${i}\t${f.data.toString('base64')}\n` : '';
      })
      .join('');
  }
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks);
}

/** The agent cache in memory: entries by `kind/version/platform`, with what was saved, dropped and resolved. */
export class MemAgentCache implements AgentCache {
  entries = new Map<string, Buffer>();
  saved: Array<{ key: AgentCacheKey; dir: string; containerId: string }> = [];
  dropped: AgentCacheKey[] = [];
  resolved: string[] = [];
  /** What "latest" resolves to. */
  latest = '9.9.9';

  static id = (k: AgentCacheKey): string => `${k.kind}/${k.version}/${k.platform}`;

  async resolve(pkg: string, spec: string): Promise<string> {
    this.resolved.push(`${pkg}@${spec}`);
    return spec === 'latest' ? this.latest : spec;
  }

  async open(key: AgentCacheKey): Promise<Readable | undefined> {
    const data = this.entries.get(MemAgentCache.id(key));
    return data ? ReadableStream.from([data]) : undefined;
  }

  async save(key: AgentCacheKey, from: { containerId: string }, dir: string): Promise<void> {
    this.saved.push({ key, dir, containerId: from.containerId });
    this.entries.set(MemAgentCache.id(key), Buffer.from(`prefix of ${MemAgentCache.id(key)}`));
  }

  async drop(key: AgentCacheKey): Promise<void> {
    this.dropped.push(key);
    this.entries.delete(MemAgentCache.id(key));
  }

  async list(): Promise<CachedAgent[]> {
    return [...this.entries].map(([id, data]) => {
      const [kind, version, platform] = id.split('/') as [CachedAgent['kind'], string, string];
      return { kind, version, platform, bytes: data.length, storedAt: '2026-01-01T00:00:00.000Z', path: `/cache/${id}.tar` };
    });
  }
}

function ok(stdout: string): ExecResult {
  return { exitCode: 0, stdout, stderr: '' };
}

export function config(agents: Partial<Record<string, unknown>> = {}, perAgent: Record<string, Record<string, unknown>> = {}): Config['agents'] {
  const base = defaultConfig().agents;
  const out = { ...base, enabled: true, ...agents } as Config['agents'];
  for (const [k, v] of Object.entries(perAgent)) Object.assign(out, { [k]: { ...base.codex, ...v } });
  return out;
}

export function makeDeps(opts: { agents: Config['agents']; files: MemFiles; docker: FakeDocker; env?: Record<string, string>; cache?: AgentCache; volumes?: boolean }) {
  const { reporter, events } = recordingReporter();
  const deps: AgentDeps = {
    agents: opts.agents,
    env: { HOME, ...opts.env },
    hostHome: HOME,
    stateDir: '/state/cac',
    files: opts.files,
    container: ({ containerId, remoteUser }) => new ContainerHost({ host: opts.docker, containerId, user: remoteUser, dockerEnv: { DOCKER_HOST: 'unix:///fake.sock' } }),
    reporter,
    ...(opts.cache ? { cache: opts.cache } : {}),
    ...(opts.volumes ? { volumes: true } : {}),
  };
  const lines = () => events.filter((e) => e.type === 'info').map((e) => (e as { message: string }).message);
  return { deps, events, lines };
}

export const target = { containerId: 'c0ffee', remoteUser: 'dev', remoteWorkspaceFolder: '/workspaces/app', workspace: '/src/app' };

/** AgentVolumes in memory (it passes the AgentVolumes contract): filled keys, the tar bytes each got, containers mounting them. */
export class MemAgentVolumes implements AgentVolumes {
  filled = new Map<string, { volume: AgentVolume; tar: Buffer }>();
  /** Containers that mount a view (set by tests). */
  mounts = new Map<string, string[]>();
  /** Makes the next fill fail (an engine error). */
  failFill: string | undefined;
  /** Views adopted over a directory, by name. */
  adopted = new Map<string, string>();

  async list(): Promise<AgentVolume[]> {
    return [...this.filled.values()].map((f) => f.volume);
  }

  async leftovers(): Promise<string[]> {
    return [];
  }

  async fill(key: AgentCacheKey, tar: Readable): Promise<AgentVolume> {
    if (!isVolumeKey(key)) throw new CacError('ERR_INVALID_INPUT', `not an agent volume key: ${JSON.stringify(key)}`);
    if (this.failFill) throw new CacError('ERR_AGENT_CACHE', this.failFill);
    const volume = { kind: key.kind, version: key.version, platform: key.platform, name: volumeNameOf(key), data: dataNameOf(key) };
    this.filled.set(volume.name, { volume, tar: await collect(tar) });
    return volume;
  }

  async adopt(key: AgentCacheKey, dir: string): Promise<AgentVolume> {
    if (!isVolumeKey(key) || !dir.startsWith('/')) throw new CacError('ERR_INVALID_INPUT', `not an agent volume key and directory: ${JSON.stringify({ ...key, dir })}`);
    const volume = { kind: key.kind, version: key.version, platform: key.platform, name: volumeNameOf(key), data: dataNameOf(key) };
    this.adopted.set(volume.name, dir);
    this.filled.set(volume.name, { volume, tar: Buffer.alloc(0) });
    return volume;
  }

  async users(name: string): Promise<string[]> {
    return this.mounts.get(name) ?? [];
  }

  async remove(v: Pick<AgentVolume, 'name' | 'data'>): Promise<'removed' | 'in-use'> {
    if ((this.mounts.get(v.name) ?? []).length > 0) return 'in-use';
    this.filled.delete(v.name);
    return 'removed';
  }
}
