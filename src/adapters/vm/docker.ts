// The docker VM driver: a box is a container from an image with sshd (and an inner Docker engine),
// labelled cac.box=<id>, SSH published on 127.0.0.1:0. The host key is read through the engine
// (a trusted channel) and pinned.
import { setTimeout as sleep } from 'node:timers/promises';
import { CacError } from '../../errors.js';
import type { Host } from '../../ports/host.js';
import type { Vm, VmDriver, VmSpec } from '../../ports/vm-driver.js';
import type { SshTarget } from '../../domain/box.js';
import { DockerCli } from '../engine/docker-cli.js';
import { DockerPreparedStates } from './docker-prepared.js';

export const BOX_LABEL = 'cac.box';
export const POOL_LABEL = 'cac.pool';

// --privileged fails on machines whose bounding set lacks CAP_SYS_RESOURCE; this set runs an inner dockerd.
const DIND_FLAGS = ['--cap-add', 'ALL', '--cap-drop', 'SYS_RESOURCE', '--security-opt', 'seccomp=unconfined', '--security-opt', 'apparmor=unconfined', '--security-opt', 'systempaths=unconfined'];

/** Where the docker driver runs docker, with which image and labels. */
export interface DockerDriverOptions {
  host: Host;
  dockerPath: string;
  env: Record<string, string>;
  image: string;
  /** The login user inside the box image. */
  user?: string;
  /** Poll interval while waiting for sshd. */
  pollMs?: number;
  /**
   * Labels on every box this driver makes, and the filter of its listing: boxes of another store
   * (another state dir, another test run) on the same engine are never this driver's orphans.
   */
  scope?: Record<string, string>;
  /** Start the box's inner Docker engine (needs the DinD flags); default true. False: a plain SSH box. */
  innerDocker?: boolean;
  /**
   * The address of this host the boxes' SSH ports are published on and recorded with (default 127.0.0.1):
   * hosts sharing a store log in to this engine's boxes there.
   */
  sshHost?: string;
  /** Told when a box starts without its pool's prepared state (the copy failed): it provisions the slow way. */
  warn?: (message: string) => void;
}

/** The docker VmDriver: each box is a container of the box image, with sshd (and an inner engine). */
export class DockerVmDriver implements VmDriver {
  readonly name = 'docker';
  private readonly docker: DockerCli;
  readonly prepared: DockerPreparedStates | undefined;

  constructor(private readonly opts: DockerDriverOptions) {
    this.docker = new DockerCli({ host: opts.host, dockerPath: opts.dockerPath, env: opts.env });
    // only boxes with an inner engine have images to prepare
    this.prepared = opts.innerDocker === false ? undefined : new DockerPreparedStates({ host: opts.host, dockerPath: opts.dockerPath, env: opts.env, image: opts.image, scope: opts.scope ?? {} });
  }

  async create(spec: VmSpec, opts: { idempotencyKey: string; signal?: AbortSignal }): Promise<Vm> {
    const existing = await this.byBox(spec.boxId, opts.signal);
    if (existing) return existing;
    const labels = { ...spec.labels, ...this.opts.scope, [BOX_LABEL]: spec.boxId, [POOL_LABEL]: spec.poolKey, 'cac.idempotency-key': opts.idempotencyKey };
    const inner = this.opts.innerDocker !== false;
    const prepared = this.prepared && !spec.unprepared ? await this.prepared.newest(spec.poolKey, opts.signal).catch(() => undefined) : undefined;
    // with a prepared state: create, copy it into the box's data root, then start (the inner engine starts with it)
    const args = [
      prepared ? 'create' : 'run',
      ...(prepared ? [] : ['-d']),
      '--name',
      `cac-box-${spec.boxId}`,
      ...(inner ? DIND_FLAGS : []),
      '-p',
      `${publishAddress(this.sshHost)}:0:22`,
      '-e',
      'CAC_AUTHORIZED_KEYS',
      '-e',
      'BOX_DOCKERD',
    ];
    for (const [k, v] of Object.entries(labels)) args.push('--label', `${k}=${v}`);
    for (const m of spec.readOnlyVolumes ?? []) args.push('--mount', readOnlyMount(m));
    // values through the environment, not argv: the key never shows in `ps`
    const r = await this.opts.host.exec([this.opts.dockerPath, ...args, this.opts.image], {
      env: { ...this.opts.env, CAC_AUTHORIZED_KEYS: spec.sshPublicKey, BOX_DOCKERD: inner ? '1' : '0' },
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    if (r.exitCode !== 0) {
      // a concurrent create of the same box won the name: return its container
      const raced = await this.byBox(spec.boxId, opts.signal);
      if (raced) return raced;
      throw new CacError('ERR_VM_CREATE', `docker run of box ${spec.boxId} failed: ${r.stderr.trim().split('\n').pop() ?? ''}`, {
        hint: `check the image ${this.opts.image} exists ('cac box image build' makes it) and run 'cac doctor'`,
      });
    }
    const id = r.stdout.trim();
    if (prepared && !(await this.seedAndStart(id, prepared.ref, opts.signal))) return this.create({ ...spec, unprepared: true }, opts);
    const vm = await this.get(id, opts.signal ? { signal: opts.signal } : {});
    if (!vm) throw new CacError('ERR_VM_CREATE', `box ${spec.boxId}: the container vanished right after docker run`);
    return vm;
  }

  async get(vmRef: string, opts: { signal?: AbortSignal } = {}): Promise<Vm | undefined> {
    const r = await this.opts.host.exec([this.opts.dockerPath, 'inspect', '--type', 'container', vmRef], { env: this.opts.env, ...opts });
    if (r.exitCode !== 0) {
      if (/No such (container|object)/i.test(r.stderr)) return undefined;
      await this.docker.run(['inspect', '--type', 'container', vmRef], opts.signal); // throws the classified error
      return undefined;
    }
    return toVm((JSON.parse(r.stdout) as RawContainer[])[0]);
  }

  async list(opts: { signal?: AbortSignal } = {}): Promise<Vm[]> {
    const ids = await this.docker.ids([BOX_LABEL, ...this.scopeFilters()], true, opts.signal);
    if (ids.length === 0) return [];
    const out = await this.docker.run(['inspect', '--type', 'container', ...ids], opts.signal);
    return (JSON.parse(out) as RawContainer[]).map(toVm).filter((v): v is Vm => v !== undefined);
  }

  async destroy(vmRef: string, opts: { signal?: AbortSignal } = {}): Promise<void> {
    const r = await this.opts.host.exec([this.opts.dockerPath, 'rm', '-f', '-v', vmRef], { env: this.opts.env, ...opts });
    if (r.exitCode !== 0 && !/No such container/i.test(r.stderr)) {
      throw new CacError('ERR_VM_DESTROY', `removing box container ${vmRef.slice(0, 12)} failed: ${r.stderr.trim()}`, { hint: "run 'cac doctor'" });
    }
  }

  async sshTarget(vm: Vm, opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<SshTarget> {
    const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
    const sig = opts.signal ? { signal: opts.signal } : {};
    for (;;) {
      const [port, key] = await Promise.all([
        this.opts.host.exec([this.opts.dockerPath, 'port', vm.vmRef, '22/tcp'], { env: this.opts.env, ...sig }),
        this.opts.host.exec([this.opts.dockerPath, 'exec', vm.vmRef, 'cat', '/etc/ssh/ssh_host_ed25519_key.pub'], { env: this.opts.env, ...sig }),
      ]);
      const p = publishedPort(port.stdout, this.sshHost);
      const hostKey = key.stdout.trim().split(/\s+/).slice(0, 2).join(' ');
      // an ed25519 key blob is 51 bytes (68 base64 chars): a shorter line is a file still being written
      if (p && key.exitCode === 0 && /^ssh-ed25519 [A-Za-z0-9+/]{68}$/.test(hostKey)) return { host: this.sshHost, port: Number(p), user: this.opts.user ?? 'cac', hostKey };
      if (/is not running|No such container/i.test(key.stderr)) {
        throw new CacError('ERR_VM_GONE', `box container ${vm.vmRef.slice(0, 12)} stopped before sshd came up`, { hint: `see its output: docker logs ${vm.vmRef.slice(0, 12)}` });
      }
      if (Date.now() > deadline) {
        throw new CacError('ERR_SSH_TIMEOUT', `box container ${vm.vmRef.slice(0, 12)} has no SSH endpoint or host key yet`, { hint: 'check the box image starts sshd (docker logs <container>)' });
      }
      await sleep(this.opts.pollMs ?? 200, undefined, sig);
    }
  }

  private get sshHost(): string {
    return this.opts.sshHost ?? '127.0.0.1';
  }

  private engine: Promise<string> | undefined;

  /** The engine's ID (`docker info`), asked once: hosts sharing a store tell their engines apart by it. */
  engineId(opts: { signal?: AbortSignal } = {}): Promise<string> {
    this.engine ??= this.docker.run(['info', '--format', '{{.ID}}'], opts.signal).then((out) => out.trim());
    this.engine.catch(() => {
      this.engine = undefined;
    });
    return this.engine;
  }

  /** False when the copy failed: the half-seeded container is removed, and the box is made without it. */
  private async seedAndStart(id: string, ref: string, signal?: AbortSignal): Promise<boolean> {
    try {
      await this.prepared?.seed(id, ref, signal);
    } catch (e) {
      await this.destroy(id).catch(() => undefined);
      if (signal?.aborted) throw e;
      this.opts.warn?.(`the pool's prepared images (${ref}) could not be copied into the box; it provisions without them: ${e instanceof Error ? e.message : String(e)}`);
      return false;
    }
    await this.docker.run(['start', id], signal);
    return true;
  }

  private scopeFilters(): string[] {
    return Object.entries(this.opts.scope ?? {}).map(([k, v]) => `${k}=${v}`);
  }

  private async byBox(boxId: string, signal?: AbortSignal): Promise<Vm | undefined> {
    const ids = await this.docker.ids([`${BOX_LABEL}=${boxId}`, ...this.scopeFilters()], true, signal);
    return ids[0] ? this.get(ids[0], signal ? { signal } : {}) : undefined;
  }
}

/** `-p` wants an IPv6 address in brackets. */
const publishAddress = (address: string): string => (address.includes(':') ? `[${address}]` : address);

/** The host port of `docker port <c> 22/tcp` (lines like `127.0.0.1:49153`, `[::1]:49153`) bound on `address`. */
export function publishedPort(output: string, address: string): string | undefined {
  for (const line of output.split('\n')) {
    const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(line.trim());
    if (m && m[1] === address) return m[2];
  }
  return undefined;
}

interface RawContainer {
  Id: string;
  Created: string;
  State: { Status: string; Running: boolean };
  Config: { Labels: Record<string, string> | null };
}

function toVm(c: RawContainer | undefined): Vm | undefined {
  if (!c) return undefined;
  const labels = c.Config.Labels ?? {};
  return {
    vmRef: c.Id,
    boxId: labels[BOX_LABEL],
    poolKey: labels[POOL_LABEL],
    createdAt: Date.parse(c.Created),
    state: c.State.Running ? 'running' : c.State.Status === 'dead' || c.State.Status === 'removing' ? 'gone' : 'stopped',
  };
}

/** A `--mount` value; names and paths holding a comma, quote or equals sign would change its meaning: refused. */
function readOnlyMount(m: { volume: string; target: string }): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(m.volume) || !/^\/[A-Za-z0-9_./-]+$/.test(m.target)) {
    throw new CacError('ERR_INVALID_INPUT', `not a volume mount for a box: ${JSON.stringify(m)}`);
  }
  return `type=volume,source=${m.volume},target=${m.target},readonly`;
}
