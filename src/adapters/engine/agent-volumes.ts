// AgentVolumes on a docker engine. Each agent version lives in two local volumes: `<name>-data` holds
// the files (filled once: `docker cp` of the cached prefix's tar into a created, never started
// container of an empty image, so no image needs tar), and `<name>`, a read-only bind of the data
// volume's directory (local driver, `o=bind,ro`), is what dev containers mount. The devcontainer CLI's
// `--mount` cannot say read-only; this volume is read-only whatever mounts it, root in an unprivileged
// container included. The view is made last: a fill that did not finish is never listed or mounted.
import type { Readable } from 'node:stream';
import { CacError } from '../../errors.js';
import type { AgentKind } from '../../domain/kinds.js';
import type { AgentCacheKey } from '../../ports/agent-cache.js';
import type { AgentVolume, AgentVolumes } from '../../ports/agent-volumes.js';
import type { Host } from '../../ports/host.js';
import { dataNameOf, isVolumeKey, volumeNameOf } from '../../domain/agent-volume.js';

export interface DockerAgentVolumesOptions {
  host: Host;
  dockerPath: string;
  env: Record<string, string>;
}

/** An image with no files at all: only ever created from, never run. */
const FILL_IMAGE = 'cac/agent-volume-fill:1';
/** An empty tar archive: two zero blocks. */
const EMPTY_TAR = new Uint8Array(1024);

export class DockerAgentVolumes implements AgentVolumes {
  constructor(private readonly opts: DockerAgentVolumesOptions) {}

  async list(signal?: AbortSignal): Promise<AgentVolume[]> {
    const out: AgentVolume[] = [];
    for (const { name, labels } of await this.volumes('cac.agent-view', signal)) {
      const key = { kind: labels['cac.agent'] as AgentKind, version: labels['cac.version'] ?? '', platform: labels['cac.platform'] ?? '' };
      if (isVolumeKey(key) && name === volumeNameOf(key)) out.push({ ...key, name, data: dataNameOf(key) });
    }
    return out;
  }

  async leftovers(signal?: AbortSignal): Promise<string[]> {
    const views = new Set((await this.list(signal)).map((v) => v.data));
    return (await this.volumes('cac.agent-data', signal)).map((v) => v.name).filter((n) => !views.has(n));
  }

  async fill(key: AgentCacheKey, tar: Readable, signal?: AbortSignal): Promise<AgentVolume> {
    if (!isVolumeKey(key)) throw new CacError('ERR_INVALID_INPUT', `not an agent volume key: ${JSON.stringify(key)}`);
    const labels = ['cac.agent', key.kind, 'cac.version', key.version, 'cac.platform', key.platform];
    const labelArgs = (extra: string) => [...pairs(labels), extra].flatMap((l) => ['--label', l]);
    const data = dataNameOf(key);
    await this.ensureFillImage(signal);
    await this.run(['volume', 'create', ...labelArgs('cac.agent-data=1'), data], signal);
    const id = (await this.run(['create', '--label', 'cac.agent-fill=1', '--network', 'none', '--mount', `type=volume,source=${data},target=/prefix`, FILL_IMAGE, '/none'], signal)).trim();
    try {
      await this.run(['cp', '-', `${id}:/prefix`], signal, tar);
    } finally {
      await this.run(['rm', '-f', id]).catch(() => undefined);
    }
    const mountpoint = (await this.run(['volume', 'inspect', '--format', '{{.Mountpoint}}', data], signal)).trim();
    if (!mountpoint.startsWith('/')) throw new CacError('ERR_AGENT_CACHE', `the engine reports no local directory for volume ${data} (${JSON.stringify(mountpoint)})`);
    return this.view(key, mountpoint, signal);
  }

  async adopt(key: AgentCacheKey, dir: string, signal?: AbortSignal): Promise<AgentVolume> {
    if (!isVolumeKey(key) || !/^\/[A-Za-z0-9_./-]+$/.test(dir)) throw new CacError('ERR_INVALID_INPUT', `not an agent volume key and directory: ${JSON.stringify({ ...key, dir })}`);
    return this.view(key, dir, signal);
  }

  /** The read-only bind volume of `device` named for `key`, made last (what containers mount). */
  private async view(key: AgentCacheKey, device: string, signal?: AbortSignal): Promise<AgentVolume> {
    const name = volumeNameOf(key);
    const data = dataNameOf(key);
    const labels = ['cac.agent', key.kind, 'cac.version', key.version, 'cac.platform', key.platform, 'cac.agent-view', data];
    await this.run(['volume', 'create', '--driver', 'local', '--opt', 'type=none', '--opt', 'o=bind,ro', '--opt', `device=${device}`, ...pairs(labels).flatMap((l) => ['--label', l]), name], signal);
    // `volume create` hands back a volume that already had the name, whatever it is: only a read-only bind counts
    const made = JSON.parse(await this.run(['volume', 'inspect', '--format', '{{json .Options}}', name], signal)) as Record<string, string> | null;
    if (made?.o !== 'bind,ro' || made.device !== device) {
      throw new CacError('ERR_AGENT_CACHE', `volume ${name} exists and is not a read-only agent volume`, { hint: `remove it (docker volume rm ${name}) and run 'cac agents cache warm'` });
    }
    return { ...key, name, data };
  }

  async users(name: string, signal?: AbortSignal): Promise<string[]> {
    return lines(await this.run(['ps', '-aq', '--filter', `volume=${name}`], signal));
  }

  async remove(v: Pick<AgentVolume, 'name' | 'data'>, signal?: AbortSignal): Promise<'removed' | 'in-use'> {
    // the view first: its data must outlive every container that still sees it
    for (const name of [v.name, v.data]) {
      if ((await this.users(name, signal)).length > 0) return 'in-use';
      const r = await this.exec(['volume', 'rm', name], signal);
      if (r.exitCode !== 0 && /in use/i.test(r.stderr)) return 'in-use';
      if (r.exitCode !== 0 && !/no such volume/i.test(r.stderr)) throw failed(['volume', 'rm'], r);
    }
    return 'removed';
  }

  private async ensureFillImage(signal?: AbortSignal): Promise<void> {
    if ((await this.exec(['image', 'inspect', '--format', '{{.Id}}', FILL_IMAGE], signal)).exitCode === 0) return;
    await this.run(['import', '--change', 'LABEL cac.agent-fill=1', '-', FILL_IMAGE], signal, EMPTY_TAR);
  }

  private async volumes(label: string, signal?: AbortSignal): Promise<Array<{ name: string; labels: Record<string, string> }>> {
    const out = await this.run(['volume', 'ls', '--filter', `label=${label}`, '--format', '{{json .}}'], signal);
    return lines(out).map((l) => {
      const doc = JSON.parse(l) as { Name?: string; Labels?: string };
      // our label values never hold a comma or an equals sign (checked keys)
      const labels = Object.fromEntries((doc.Labels ?? '').split(',').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
      return { name: doc.Name ?? '', labels };
    });
  }

  private exec(args: string[], signal?: AbortSignal, stdin?: Readable | Uint8Array) {
    return this.opts.host.exec([this.opts.dockerPath, ...args], { env: this.opts.env, ...(stdin ? { stdin } : {}), ...(signal ? { signal } : {}) });
  }

  private async run(args: string[], signal?: AbortSignal, stdin?: Readable | Uint8Array): Promise<string> {
    const r = await this.exec(args, signal, stdin);
    if (r.exitCode !== 0) throw failed(args, r);
    return r.stdout;
  }
}

function failed(args: string[], r: { exitCode: number; stderr: string }): CacError {
  const last = r.stderr.trim().split('\n').filter(Boolean).pop() ?? `exit ${r.exitCode}`;
  return new CacError('ERR_AGENT_CACHE', `docker ${args.slice(0, 2).join(' ')} failed: ${last}`, { hint: "run 'cac doctor' to check the engine" });
}

function pairs(flat: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push(`${flat[i]}=${flat[i + 1]}`);
  return out;
}

function lines(text: string): string[] {
  return text
    .split('\n')
    .map((s) => s.trim())
    .filter(Boolean);
}
