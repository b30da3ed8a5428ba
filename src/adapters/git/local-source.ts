// RepoSource over the local git CLI: a bundle of the requested branches, made from the repository itself
// (a local path or file:// URL) or from a bare mirror of a hosted one kept in the state dir
// (`<stateDir>/mirrors/<sha256(url)[0..16]>.git`, cloned once, refreshed with `git fetch`).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CacError } from '../../errors.js';
import type { Host } from '../../ports/host.js';
import type { RepoBundle, RepoSource } from '../../ports/repo-source.js';
import { GIT_ALLOW_PROTOCOL } from '../../domain/validate.js';

/** Where LocalGitSource runs git and keeps its mirrors. */
export interface LocalGitSourceOptions {
  /** The machine cac runs on (git runs there). */
  host: Host;
  /** Where mirrors of hosted repositories live. */
  mirrorsDir: string;
  /** A mirror fetched this recently is not fetched again (several boxes of one reconcile); default 30 s. */
  refreshMs?: number;
  /** git's own settings on top of the host's environment (GIT_SSH_COMMAND …). */
  env?: Record<string, string>;
}

// git never asks for a password on a terminal: a missing credential fails at once; and it speaks only
// the transports cac accepts, whatever a git config allows (protocol.ext.allow=always runs commands)
const GIT_ENV = { GIT_TERMINAL_PROMPT: '0', GIT_ALLOW_PROTOCOL };

/** RepoSource of local repositories and mirrors of remote ones, through git on this machine. */
export class LocalGitSource implements RepoSource {
  private readonly refreshed = new Map<string, { at: number; done: Promise<void> }>();

  constructor(private readonly opts: LocalGitSourceOptions) {}

  async bundle(repoUrl: string, branches: readonly string[], opts: { signal?: AbortSignal } = {}): Promise<RepoBundle> {
    const dir = await this.repoDir(repoUrl, opts.signal);
    for (const b of branches) {
      const r = await this.git(['-C', dir, 'rev-parse', '--verify', '--quiet', `refs/heads/${b}^{commit}`], opts.signal);
      if (r.exitCode !== 0) throw new CacError('ERR_REPO_BRANCH', `branch ${b} is not in ${repoUrl}`, { hint: 'push the branch first, or request another one' });
    }
    const tmp = await mkdtemp(join(tmpdir(), 'cac-bundle-'));
    const file = join(tmp, 'repo.bundle');
    const r = await this.git(['-C', dir, 'bundle', 'create', '--quiet', file, ...branches.map((b) => `refs/heads/${b}`)], opts.signal).catch(async (e: unknown) => {
      await rm(tmp, { recursive: true, force: true });
      throw e;
    });
    if (r.exitCode !== 0) {
      await rm(tmp, { recursive: true, force: true });
      throw new CacError('ERR_REPO', `git bundle of ${repoUrl} failed: ${r.stderr.trim().split('\n').pop() ?? ''}`);
    }
    return { open: () => createReadStream(file), dispose: () => rm(tmp, { recursive: true, force: true }) };
  }

  async objectIds(repoUrl: string, branch: string, paths: readonly string[], opts: { signal?: AbortSignal } = {}): Promise<string[]> {
    const dir = await this.repoDir(repoUrl, opts.signal);
    const ids: string[] = [];
    for (const p of paths) {
      const r = await this.git(['-C', dir, 'rev-parse', '--verify', '--quiet', `refs/heads/${branch}:${p}`], opts.signal);
      if (r.exitCode === 0) ids.push(r.stdout.trim());
    }
    return ids;
  }

  async head(repoUrl: string, branch: string, opts: { signal?: AbortSignal } = {}): Promise<string> {
    const local = localDir(repoUrl);
    const ref = `refs/heads/${branch}`;
    const r = local ? await this.git(['-C', local, 'rev-parse', '--verify', '--quiet', `${ref}^{commit}`], opts.signal) : await this.git(['ls-remote', '--', repoUrl, ref], opts.signal);
    const sha = /^([0-9a-f]{40,64})\b/m.exec(r.stdout)?.[1];
    if (sha) return sha;
    if (local ? r.exitCode === 1 : r.exitCode === 0) throw new CacError('ERR_REPO_BRANCH', `branch ${branch} is not in ${repoUrl}`, { hint: "push the branch, or fix the pool's base_branch" });
    throw new CacError('ERR_REPO', `reading the head of ${branch} in ${repoUrl} failed: ${r.stderr.trim().split('\n').pop() ?? ''}`, { hint: 'check the URL and your git credentials here' });
  }

  async behind(repoUrl: string, from: string, to: string, opts: { signal?: AbortSignal } = {}): Promise<number | null> {
    // a hosted repository is counted in its mirror as it is (push delivery keeps it fresh); never cloned for a count
    const dir = localDir(repoUrl) ?? this.mirrorDir(repoUrl);
    const r = await this.git(['-C', dir, 'rev-list', '--count', `${from}..${to}`, '--'], opts.signal).catch(() => undefined);
    const n = r?.exitCode === 0 ? Number(r.stdout.trim()) : Number.NaN;
    return Number.isInteger(n) ? n : null;
  }

  private mirrorDir(repoUrl: string): string {
    return join(this.opts.mirrorsDir, `${createHash('sha256').update(repoUrl).digest('hex').slice(0, 16)}.git`);
  }

  /** The repository to bundle from: the local one itself, else its refreshed mirror. */
  private async repoDir(repoUrl: string, signal?: AbortSignal): Promise<string> {
    const local = localDir(repoUrl);
    if (local) return local;
    const dir = this.mirrorDir(repoUrl);
    const last = this.refreshed.get(dir);
    if (last && Date.now() - last.at < (this.opts.refreshMs ?? 30_000)) {
      await last.done;
      return dir;
    }
    const done = this.refresh(repoUrl, dir, signal);
    this.refreshed.set(dir, { at: Date.now(), done });
    done.catch(() => this.refreshed.delete(dir));
    await done;
    return dir;
  }

  private async refresh(repoUrl: string, dir: string, signal?: AbortSignal): Promise<void> {
    const exists = await stat(join(dir, 'HEAD')).then(
      () => true,
      () => false,
    );
    if (!exists) await mkdir(this.opts.mirrorsDir, { recursive: true, mode: 0o700 });
    const args = exists ? ['-C', dir, 'fetch', '--quiet', '--prune', 'origin'] : ['clone', '--quiet', '--mirror', '--', repoUrl, dir];
    const r = await this.git(args, signal);
    if (r.exitCode !== 0) {
      throw new CacError('ERR_REPO', `${exists ? 'refreshing the mirror of' : 'mirroring'} ${repoUrl} failed: ${r.stderr.trim().split('\n').pop() ?? ''}`, {
        hint: 'check the URL and your git credentials here, or set [boxes] repo_delivery = "clone" so the box clones it',
      });
    }
  }

  private git(args: string[], signal?: AbortSignal) {
    return this.opts.host.exec(['git', ...args], { env: { ...this.opts.env, ...GIT_ENV }, ...(signal ? { signal } : {}) });
  }
}

/** The directory of a local repository (a path or file:// URL); undefined for a hosted one. */
function localDir(repoUrl: string): string | undefined {
  if (repoUrl.startsWith('/')) return repoUrl;
  if (/^file:\/\//i.test(repoUrl)) return fileURLToPath(repoUrl);
  return undefined;
}
