// ContainerHost: a container reached through `docker exec` on ANY Host (local, SSH), so injecting into
// a local container and into one on a remote box is the same code. Environment values never touch the
// command line: `-e NAME` makes the docker client read NAME from its own environment, which the
// underlying Host's exec env carries.
import type { Readable } from 'node:stream';
import { CacError } from '../../errors.js';
import type { ExecOptions, ExecResult, Host } from '../../ports/host.js';

export interface ContainerHostOptions {
  /** Where the docker client runs. */
  host: Host;
  containerId: string;
  /** Run as this user (`-u`); default: the container's user. */
  user?: string;
  /** docker (or a compatible) CLI. */
  dockerPath?: string;
  /** The docker client's own environment (DOCKER_HOST …); never forwarded into the container. */
  dockerEnv?: Record<string, string>;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A Host inside a container: `docker exec` over any Host. */
export class ContainerHost implements Host {
  readonly kind = 'container' as const;

  constructor(private readonly opts: ContainerHostOptions) {}

  exec(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const names = Object.keys(opts.env ?? {});
    const bad = names.find((n) => !NAME.test(n) || n in (this.opts.dockerEnv ?? {}));
    if (bad !== undefined) throw new CacError('ERR_INVALID_INPUT', `cannot forward ${JSON.stringify(bad)} into a container`);
    const flags = [
      ...(opts.stdin !== undefined || opts.inherit ? ['-i'] : []),
      ...(this.opts.user ? ['-u', this.opts.user] : []),
      ...(opts.cwd ? ['-w', opts.cwd] : []),
      ...names.flatMap((n) => ['-e', n]),
    ];
    const { cwd: _cwd, env, ...rest } = opts;
    return this.opts.host.exec([this.docker(), 'exec', ...flags, this.opts.containerId, ...argv], { ...rest, env: { ...this.opts.dockerEnv, ...env } });
  }

  async putFiles(tar: Readable, dest: string, opts: { signal?: AbortSignal } = {}): Promise<void> {
    const r = await this.exec(['sh', '-c', 'mkdir -p -- "$1" && exec tar -x -p -f - -C "$1"', 'sh', dest], { stdin: tar, ...opts });
    if (r.exitCode !== 0) {
      throw new CacError('ERR_PUT_FILES', `extracting files into ${dest} in container ${this.opts.containerId.slice(0, 12)} failed (exit ${r.exitCode})`, {
        details: { stderr: r.stderr },
      });
    }
  }

  private docker(): string {
    return this.opts.dockerPath ?? 'docker';
  }
}
