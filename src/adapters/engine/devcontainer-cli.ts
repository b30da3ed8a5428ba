// DevcontainerEngine backed by the reference devcontainer CLI (up, exec) and the docker CLI (the rest),
// both run through a Host: the same code drives a laptop's engine and a remote box's.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CacError, interrupted } from '../../errors.js';
import type { Host } from '../../ports/host.js';
import type { ContainerInfo, DevcontainerEngine, UpOptions, UpResult, WorkspaceRef } from '../../ports/engine.js';
import { DockerCli, idLabels, MANAGED_LABEL } from './docker-cli.js';
import { CliLogMapper } from './cli-log.js';
import { classifyUpFailure } from './up-failure.js';
import { lineSplitter } from '../../util/lines.js';
import { redact } from '../../util/redact.js';

export interface DevcontainerCliEngineOptions {
  host: Host;
  /** How to run the CLI on that host, e.g. [node, /path/devcontainer.js] or ['devcontainer']. */
  cli: readonly string[];
  dockerPath: string;
  /** DOCKER_HOST etc. for the CLI and docker. */
  env: Record<string, string>;
  /** Where `up` logs are written (on the machine running cac). */
  logDir: string;
  /** Secret values (forwarded env values) never written to the log, the verbose stream or an error. */
  secrets?: readonly string[];
}

export class DevcontainerCliEngine implements DevcontainerEngine {
  private readonly docker: DockerCli;

  constructor(private readonly opts: DevcontainerCliEngineOptions) {
    this.docker = new DockerCli({ host: opts.host, dockerPath: opts.dockerPath, env: opts.env });
  }

  async find(ws: WorkspaceRef, opts: { signal?: AbortSignal } = {}): Promise<ContainerInfo | undefined> {
    const ids = await this.docker.ids(idLabels(ws), true, opts.signal);
    const found = await this.docker.inspect(ids, opts.signal);
    // newest first: a leftover duplicate must not shadow the live one
    return found.sort((a, b) => Number(b.running) - Number(a.running) || b.createdAt.localeCompare(a.createdAt))[0];
  }

  async up(ws: WorkspaceRef, opts: UpOptions = {}): Promise<UpResult> {
    const secrets = this.opts.secrets ?? [];
    const mapper = new CliLogMapper((e) => opts.onEvent?.(e), secrets);
    const split = lineSplitter((l) => mapper.line(l));
    const args = [
      'up',
      ...this.common(ws),
      '--log-format',
      'json',
      ...(opts.removeExisting ? ['--remove-existing-container'] : []),
      ...(opts.buildNoCache ? ['--build-no-cache'] : []),
      ...(opts.expectExisting ? ['--expect-existing-container'] : []),
    ];
    const r = await this.opts.host
      .exec([...this.opts.cli, ...args], { env: this.opts.env, onStderr: (c) => split.push(c), ...(opts.signal ? { signal: opts.signal } : {}) })
      .catch((e: unknown) => {
        mapper.failOpen();
        throw mapper.containerAction === 'created' ? markCreated(e) : e;
      });
    split.end();
    const logFile = await this.writeLog(mapper.lines);
    const outcome = lastJson(redact(r.stdout, secrets));
    if (r.exitCode === 0 && outcome?.outcome === 'success' && outcome.containerId) {
      return {
        action: mapper.containerAction ?? 'reused',
        containerId: outcome.containerId,
        remoteUser: outcome.remoteUser ?? 'root',
        remoteWorkspaceFolder: outcome.remoteWorkspaceFolder ?? '/',
        ...(outcome.composeProjectName ? { composeProject: outcome.composeProjectName } : {}),
      };
    }
    mapper.failOpen();
    const failure = opts.signal?.aborted ? interrupted() : classifyUpFailure({ outcome, stderrLines: mapper.lines, buildTail: mapper.buildTail, logFile, exitCode: r.exitCode, where: WHERE[this.opts.host.kind] });
    if (failure instanceof CacError && failure.code === 'ERR_BUILD_FAILED') await this.removeBuildLeftover(mapper.buildTail);
    throw mapper.containerAction === 'created' ? markCreated(failure) : failure;
  }

  async stop(id: string, opts: { signal?: AbortSignal } = {}): Promise<void> {
    const project = await this.projectOf(id, opts.signal);
    const ids = project ? await this.docker.projectObjects('container', project, opts.signal) : [id];
    if (ids.length) await this.docker.run(['stop', ...ids], opts.signal);
  }

  // A Compose project goes as `compose down` would take it: every container, then its networks (and volumes).
  async remove(id: string, opts: { volumes?: boolean; signal?: AbortSignal } = {}): Promise<void> {
    const project = await this.projectOf(id, opts.signal);
    const ids = project ? await this.docker.projectObjects('container', project, opts.signal) : [id];
    if (ids.length) await this.docker.run(['rm', '-f', ...(opts.volumes ? ['-v'] : []), ...ids], opts.signal);
    if (!project) return;
    const networks = await this.docker.projectObjects('network', project, opts.signal);
    if (networks.length) await this.docker.run(['network', 'rm', ...networks], opts.signal);
    const volumes = opts.volumes ? await this.docker.projectObjects('volume', project, opts.signal) : [];
    if (volumes.length) await this.docker.run(['volume', 'rm', ...volumes], opts.signal);
  }

  async exec(ws: WorkspaceRef, argv: readonly string[], opts: { signal?: AbortSignal; inherit?: boolean; stdin?: string } = {}) {
    const r = await this.opts.host.exec([...this.opts.cli, 'exec', ...this.common(ws), ...argv], {
      env: this.opts.env,
      ...(opts.inherit ? { inherit: true } : {}),
      ...(opts.stdin !== undefined ? { stdin: opts.stdin } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
  }

  async list(opts: { all?: boolean; signal?: AbortSignal } = {}): Promise<ContainerInfo[]> {
    const ids = await this.docker.ids([MANAGED_LABEL], opts.all === true, opts.signal);
    const found = await this.docker.inspect(ids, opts.signal);
    const projects = [...new Set(found.map((c) => c.composeProject).filter((p): p is string => p !== undefined))];
    const services = new Map(await Promise.all(projects.map(async (p) => [p, await this.docker.projectServices(p, opts.signal)] as const)));
    return found.map((c) => (c.composeProject ? { ...c, composeServices: services.get(c.composeProject) ?? [] } : c));
  }

  ping(opts: { signal?: AbortSignal } = {}): Promise<string> {
    return this.docker.ping(opts.signal);
  }

  // Only the `service` container carries cac's labels; Compose's project label names the rest.
  private async projectOf(id: string, signal?: AbortSignal): Promise<string | undefined> {
    const [c] = await this.docker.inspect([id], signal).catch(() => []);
    return c?.composeProject;
  }

  // The classic builder keeps the container of a failed RUN step: nothing half-made is left behind.
  private async removeBuildLeftover(buildTail: readonly string[]): Promise<void> {
    const id = [...buildTail].reverse().map((l) => /---> Running in ([0-9a-f]{12,64})/.exec(l)?.[1]).find(Boolean);
    if (id) await this.docker.run(['rm', '-f', id]).catch(() => undefined);
  }

  private common(ws: WorkspaceRef): string[] {
    return [
      '--workspace-folder',
      ws.folder,
      '--config',
      ws.configFile,
      ...idLabels(ws).flatMap((l) => ['--id-label', l]),
      ...(this.opts.dockerPath !== 'docker' ? ['--docker-path', this.opts.dockerPath] : []),
    ];
  }

  private async writeLog(lines: string[]): Promise<string> {
    await mkdir(this.opts.logDir, { recursive: true, mode: 0o700 });
    const file = join(this.opts.logDir, `up-${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}.log`);
    await writeFile(file, `${lines.join('\n')}\n`, { mode: 0o600 });
    return file;
  }
}

// core removes a container this call created before failing (Ctrl-C, a failed postCreate)
function markCreated(e: unknown): unknown {
  if (e instanceof CacError) return new CacError(e.code, e.message, { ...(e.hint ? { hint: e.hint } : {}), cause: e.cause, details: { ...e.details, createdContainer: true } });
  return new CacError('ERR_DEVCONTAINER_UP', e instanceof Error ? e.message : String(e), { cause: e, details: { createdContainer: true } });
}

const WHERE: Record<Host['kind'], string> = { local: 'this machine', ssh: 'the box', container: 'the container' };

export interface CliOutcome {
  outcome?: string;
  message?: string;
  description?: string;
  containerId?: string;
  remoteUser?: string;
  remoteWorkspaceFolder?: string;
  composeProjectName?: string;
}

function lastJson(stdout: string): CliOutcome | undefined {
  const line = stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  if (!line) return undefined;
  try {
    return JSON.parse(line) as CliOutcome;
  } catch {
    return undefined;
  }
}

