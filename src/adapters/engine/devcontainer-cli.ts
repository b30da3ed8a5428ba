// DevcontainerEngine backed by the reference devcontainer CLI (up, exec) and the docker CLI (the rest),
// both run through a Host: the same code drives a laptop's engine and a remote box's.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CacError, interrupted } from '../../errors.js';
import type { Host } from '../../ports/host.js';
import type { ContainerInfo, DevcontainerEngine, UpOptions, UpResult, WorkspaceRef } from '../../ports/engine.js';
import { DockerCli, idLabels, MANAGED_LABEL } from './docker-cli.js';
import { CliLogMapper, stripAnsi } from './cli-log.js';
import { execCall, execSettings, parseProbe, probeCommand, type ExecSettings } from './container-exec.js';
import { configHash, memoHolds, memoizable, UpMemos } from './up-memo.js';
import { classifyUpFailure, type CliOutcome } from './up-failure.js';
import { lineSplitter } from '../../util/lines.js';
import { redact } from '../../util/redact.js';

/** Where DevcontainerCliEngine runs the devcontainer CLI and docker, and with what environment. */
export interface DevcontainerCliEngineOptions {
  host: Host;
  /** How to run the CLI on that host, e.g. [node, /path/devcontainer.js] or ['devcontainer']. */
  cli: readonly string[];
  dockerPath: string;
  /** DOCKER_HOST etc. for the CLI and docker. */
  env: Record<string, string>;
  /** More environment for the CLI alone: the host variables a devcontainer.json reads with ${localEnv:…}. */
  cliEnv?: Record<string, string>;
  /** Where `up` logs are written (on the machine running cac). */
  logDir: string;
  /** Files under the remote user's home that `exec` sources before the command (cac's agent env file). */
  loginFiles?: readonly string[];
  /** Where `up` keeps what the CLI answered for a running container (up-memo.ts); absent: the CLI runs every time. */
  memoDir?: string;
  /** Secret values (master keys, forwarded env values, values passed for ${localEnv:…}) never written to the log, the verbose stream or an error. */
  secrets?: readonly string[];
}

const PROBE_TIMEOUT_MS = 10_000;

/** The DevcontainerEngine of the reference devcontainer CLI and a Docker-compatible CLI, run on any Host. */
export class DevcontainerCliEngine implements DevcontainerEngine {
  private readonly docker: DockerCli;
  private readonly memos: UpMemos | undefined;

  constructor(private readonly opts: DevcontainerCliEngineOptions) {
    this.docker = new DockerCli({ host: opts.host, dockerPath: opts.dockerPath, env: opts.env });
    this.memos = opts.memoDir ? new UpMemos(opts.memoDir) : undefined;
  }

  async find(ws: WorkspaceRef, opts: { signal?: AbortSignal } = {}): Promise<ContainerInfo | undefined> {
    const ids = await this.docker.ids(idLabels(ws), true, opts.signal);
    const found = await this.docker.inspect(ids, opts.signal);
    // newest first: a leftover duplicate must not shadow the live one
    return found.sort((a, b) => Number(b.running) - Number(a.running) || b.createdAt.localeCompare(a.createdAt))[0];
  }

  async up(ws: WorkspaceRef, opts: UpOptions = {}): Promise<UpResult> {
    const plain = !opts.removeExisting && !opts.buildNoCache;
    const configText = this.memos && plain ? await readFile(ws.configFile, 'utf8').catch(() => undefined) : undefined;
    const reused = configText === undefined ? undefined : await this.fromMemo(ws, configText, opts.signal);
    if (reused) return reused;
    const result = await this.runCliUp(ws, opts, (await opts.mounts) ?? []);
    if (configText !== undefined && memoizable(configText) && !result.composeProject) {
      const memo = { containerId: result.containerId, remoteUser: result.remoteUser, remoteWorkspaceFolder: result.remoteWorkspaceFolder, configHash: configHash(configText), at: Date.now() };
      await this.memos?.write(ws, memo).catch(() => undefined);
    }
    return result;
  }

  // The running container the memo names, unchanged since: what the CLI would answer, without running it.
  private async fromMemo(ws: WorkspaceRef, configText: string, signal?: AbortSignal): Promise<UpResult | undefined> {
    const memo = await this.memos?.read(ws);
    if (!memo) return undefined;
    const now = await this.docker.runState(memo.containerId, signal);
    if (!memoHolds(memo, configText, now)) {
      await this.memos?.forget(ws);
      return undefined;
    }
    return { action: 'reused', containerId: memo.containerId, remoteUser: memo.remoteUser, remoteWorkspaceFolder: memo.remoteWorkspaceFolder };
  }

  private async runCliUp(ws: WorkspaceRef, opts: UpOptions, mounts: readonly string[]): Promise<UpResult> {
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
      ...mounts.flatMap((m) => ['--mount', m]),
    ];
    const r = await this.opts.host
      .exec([...this.opts.cli, ...args], { env: { ...this.opts.env, ...this.opts.cliEnv }, onStderr: (c) => split.push(c), ...(opts.signal ? { signal: opts.signal } : {}) })
      .catch((e: unknown) => {
        mapper.failOpen();
        throw mapper.containerAction === 'created' ? markCreated(e) : e;
      });
    split.end();
    const logFile = await this.writeLog(mapper.lines);
    // redacted after parsing: a value with a quote or a backslash is escaped inside the JSON text
    const outcome = redactOutcome(lastJson(r.stdout), secrets);
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
    const failure = opts.signal?.aborted
      ? interrupted()
      : classifyUpFailure({ outcome, stderrLines: mapper.lines, buildTail: mapper.buildTail, logFile, exitCode: r.exitCode, where: WHERE[this.opts.host.kind] });
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

  /**
   * Runs argv in the workspace's container as `devcontainer exec` would (remote user, workspace folder,
   * the user's probed login environment plus remoteEnv), with every value kept off command lines
   * (container-exec.ts).
   */
  async exec(ws: WorkspaceRef, argv: readonly string[], opts: { signal?: AbortSignal; inherit?: boolean; stdin?: string; tty?: boolean } = {}) {
    const signal = opts.signal ? { signal: opts.signal } : {};
    const container = await this.find(ws, signal);
    if (!container?.running) throw new CacError('ERR_NO_CONTAINER', `no running dev container for ${ws.folder}`, { hint: `start it with 'cac up ${ws.folder}'` });
    const settings = await this.readConfiguration(ws, opts.signal);
    const probed = await this.probeUserEnv(container.id, settings, opts.signal);
    const call = execCall({
      docker: this.opts.dockerPath,
      containerId: container.id,
      command: argv,
      env: { ...probed, ...settings.remoteEnv },
      ...(settings.user ? { user: settings.user } : {}),
      ...(settings.folder ? { folder: settings.folder } : {}),
      stdin: opts.inherit === true || opts.stdin !== undefined,
      tty: opts.inherit === true && opts.tty === true,
      ...(this.opts.loginFiles ? { sourceFiles: this.opts.loginFiles } : {}),
    });
    const r = await this.opts.host.exec(call.argv, {
      env: { ...this.opts.env, ...call.env },
      ...(opts.inherit ? { inherit: true } : {}),
      ...(opts.stdin !== undefined ? { stdin: opts.stdin } : {}),
      ...signal,
    });
    return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
  }

  // remoteUser, the workspace folder, remoteEnv and userEnvProbe as the CLI resolves them for this container
  private async readConfiguration(ws: WorkspaceRef, signal?: AbortSignal): Promise<ExecSettings> {
    const r = await this.opts.host.exec([...this.opts.cli, 'read-configuration', ...this.common(ws), '--include-merged-configuration'], {
      env: { ...this.opts.env, ...this.opts.cliEnv },
      ...(signal ? { signal } : {}),
    });
    const settings = r.exitCode === 0 ? execSettings(r.stdout) : undefined;
    if (settings) return settings;
    const why =
      redact(stripAnsi(r.stderr), this.opts.secrets ?? [])
        .trim()
        .split('\n')
        .filter(Boolean)
        .pop() ?? `exit ${r.exitCode}`;
    throw new CacError('ERR_DEVCONTAINER_EXEC', `reading the dev container configuration of ${ws.folder} failed: ${why}`, { hint: `check ${ws.configFile}; run 'cac up ${ws.folder}' again` });
  }

  // The remote user's login environment as the devcontainer.json's userEnvProbe defines it; it reaches cac
  // on stdout. A probe that hangs (a shell waiting for input) is abandoned, as the CLI does.
  private async probeUserEnv(containerId: string, settings: ExecSettings, signal?: AbortSignal): Promise<Record<string, string>> {
    const probe = probeCommand(settings.probe);
    if (!probe) return {};
    const user = settings.user ? ['-u', settings.user] : [];
    const r = await this.opts.host.exec([this.opts.dockerPath, 'exec', ...user, containerId, ...probe.argv], {
      env: this.opts.env,
      timeoutMs: PROBE_TIMEOUT_MS,
      ...(signal ? { signal } : {}),
    });
    return parseProbe(r.stdout, probe.mark);
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
    const id = [...buildTail]
      .reverse()
      .map((l) => /---> Running in ([0-9a-f]{12,64})/.exec(l)?.[1])
      .find(Boolean);
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

function redactOutcome(outcome: CliOutcome | undefined, secrets: readonly string[]): CliOutcome | undefined {
  if (!outcome) return undefined;
  return Object.fromEntries(Object.entries(outcome).map(([k, v]) => [k, typeof v === 'string' ? redact(v, secrets) : v])) as CliOutcome;
}

function lastJson(stdout: string): CliOutcome | undefined {
  const line = stdout
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .pop();
  if (!line) return undefined;
  try {
    return JSON.parse(line) as CliOutcome;
  } catch {
    return undefined;
  }
}
