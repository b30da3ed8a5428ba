// Prepared states of the docker driver: a named volume per pool and config hash holding a copy of a
// prepared box's inner engine data root (/var/lib/docker: images, layers, build cache), made while that
// engine was stopped. A new box gets a copy of it in its own /var/lib/docker volume before it starts
// (one `cp -a` in a helper container on the same engine: no image crosses SSH, nothing is loaded or built).
import { createHash } from 'node:crypto';
import { CacError } from '../../errors.js';
import type { Host } from '../../ports/host.js';
import type { PreparedState, PreparedStates, Vm } from '../../ports/vm-driver.js';

const POOL = 'cac.prepared.pool';
const HASH = 'cac.prepared.hash';
const AT = 'cac.prepared.at';
const MOUNT = '/cac-prepared';
const DATA_ROOT = '/var/lib/docker';

export interface DockerPreparedOptions {
  host: Host;
  dockerPath: string;
  env: Record<string, string>;
  /** The box image: it has cp, and runs the helper containers. */
  image: string;
  /** The driver's scope labels: another store's prepared states are not ours. */
  scope: Record<string, string>;
}

export class DockerPreparedStates implements PreparedStates {
  constructor(private readonly opts: DockerPreparedOptions) {}

  async list(opts: { signal?: AbortSignal } = {}): Promise<PreparedState[]> {
    const filters = [POOL, ...Object.entries(this.opts.scope).map(([k, v]) => `${k}=${v}`)].flatMap((f) => ['--filter', `label=${f}`]);
    const names = (await this.docker(['volume', 'ls', '-q', ...filters], opts.signal)).split('\n').filter(Boolean);
    if (names.length === 0) return [];
    const raw = JSON.parse(await this.docker(['volume', 'inspect', ...names], opts.signal)) as Array<{ Name: string; Labels: Record<string, string> | null }>;
    return raw.flatMap((v) => {
      const l = v.Labels ?? {};
      const at = Number(l[AT]);
      return l[POOL] && l[HASH] && Number.isFinite(at) ? [{ poolKey: l[POOL], configHash: l[HASH], preparedAt: at, ref: v.Name }] : [];
    });
  }

  async save(vm: Vm, meta: { poolKey: string; configHash: string; preparedAt: number }, opts: { signal?: AbortSignal } = {}): Promise<PreparedState> {
    const scopeHash = createHash('sha256')
      .update(JSON.stringify([meta.poolKey, this.opts.scope]))
      .digest('hex')
      .slice(0, 12);
    const ref = `cac-prepared-${scopeHash}-${meta.configHash}-${meta.preparedAt.toString(36)}`;
    const labels = { ...this.opts.scope, [POOL]: meta.poolKey, [HASH]: meta.configHash, [AT]: String(meta.preparedAt) };
    await this.docker(['volume', 'create', ...Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]), ref], opts.signal);
    try {
      await this.helper(['--volumes-from', vm.vmRef, '--mount', `type=volume,src=${ref},dst=${MOUNT}`], [`${DATA_ROOT}/.`, `${MOUNT}/`], opts.signal);
    } catch (e) {
      await this.remove(ref).catch(() => undefined);
      throw e;
    }
    return { ...meta, ref };
  }

  async remove(ref: string, opts: { signal?: AbortSignal } = {}): Promise<void> {
    const r = await this.opts.host.exec([this.opts.dockerPath, 'volume', 'rm', ref], { env: this.opts.env, ...opts });
    // in use by a box being seeded right now: the next prepare removes it
    if (r.exitCode !== 0 && !/no such volume|in use/i.test(r.stderr)) throw new CacError('ERR_VM_DESTROY', `removing prepared volume ${ref} failed: ${r.stderr.trim()}`);
  }

  /** The newest prepared state of the pool, if any. */
  async newest(poolKey: string, signal?: AbortSignal): Promise<PreparedState | undefined> {
    const mine = (await this.list(signal ? { signal } : {})).filter((p) => p.poolKey === poolKey);
    return mine.sort((a, b) => b.preparedAt - a.preparedAt)[0];
  }

  /** Copies a prepared state into the data root volume of the created (not yet started) box container. */
  async seed(containerId: string, ref: string, signal?: AbortSignal): Promise<void> {
    await this.helper(['--volumes-from', containerId, '--mount', `type=volume,src=${ref},dst=${MOUNT},readonly`], [`${MOUNT}/.`, `${DATA_ROOT}/`], signal);
  }

  /** `cp -a from to` in a throwaway container of the box image, with no network. */
  private async helper(mounts: string[], [from = '', to = '']: string[], signal?: AbortSignal): Promise<void> {
    await this.docker(['run', '--rm', '--network', 'none', ...mounts, '--entrypoint', 'cp', this.opts.image, '-a', '--reflink=auto', from, to], signal);
  }

  private async docker(args: string[], signal?: AbortSignal): Promise<string> {
    const r = await this.opts.host.exec([this.opts.dockerPath, ...args], { env: this.opts.env, ...(signal ? { signal } : {}) });
    if (r.exitCode !== 0)
      throw new CacError('ERR_PREPARED', `docker ${args[0] ?? ''} ${args[1] ?? ''} for a prepared pool failed: ${r.stderr.trim().split('\n').pop() ?? ''}`, { hint: "run 'cac pool prepare --force'" });
    return r.stdout;
  }
}
