// The docker CLI for what the devcontainer CLI lacks: find by labels, stop, remove, list, ping, and a
// Compose project's containers, networks and volumes (found by Compose's own project label).
import { CacError } from '../../errors.js';
import type { Host } from '../../ports/host.js';
import { GENERATED_LABEL, type ContainerInfo, type WorkspaceRef } from '../../ports/engine.js';
import { COMPOSE_PROJECT_LABEL, COMPOSE_SERVICE_LABEL } from './compose.js';

export const MANAGED_LABEL = 'cac.managed=true';

export interface DockerCliOptions {
  host: Host;
  /** docker (or a compatible) CLI path. */
  dockerPath: string;
  /** DOCKER_HOST and friends for every call. */
  env: Record<string, string>;
}

/** The id labels cac puts on (and finds) a workspace's container: the CLI's own two, cac.managed, and the workspace's extra ones. */
export function idLabels(ws: WorkspaceRef): string[] {
  return [MANAGED_LABEL, `devcontainer.local_folder=${ws.folder}`, `devcontainer.config_file=${ws.configFile}`, ...(ws.labels ?? [])];
}

export class DockerCli {
  constructor(private readonly opts: DockerCliOptions) {}

  /** Run docker; non-zero exit → CacError with the last stderr line (engine-down detected). */
  async run(args: readonly string[], signal?: AbortSignal): Promise<string> {
    const r = await this.opts.host.exec([this.opts.dockerPath, ...args], { env: this.opts.env, ...(signal ? { signal } : {}) });
    if (r.exitCode === 0) return r.stdout;
    throw dockerError(args, r.stderr, r.exitCode, this.opts.dockerPath);
  }

  async ids(labels: readonly string[], all: boolean, signal?: AbortSignal): Promise<string[]> {
    const out = await this.run(['ps', '-q', '--no-trunc', ...(all ? ['-a'] : []), ...labels.flatMap((l) => ['--filter', `label=${l}`])], signal);
    return out
      .split('\n')
      .map((s) => s.trim())
      .filter(Boolean);
  }

  async inspect(ids: readonly string[], signal?: AbortSignal): Promise<ContainerInfo[]> {
    if (ids.length === 0) return [];
    const out = await this.run(['inspect', '--type', 'container', ...ids], signal);
    return (JSON.parse(out) as RawInspect[]).map(toInfo);
  }

  /** Whether a container runs, since when, and its devcontainer.metadata label; undefined when it is gone. */
  async runState(id: string, signal?: AbortSignal): Promise<{ running: boolean; startedAt: string; metadata: string | undefined } | undefined> {
    const [c] = await this.run(['inspect', '--type', 'container', id], signal)
      .then((out) => JSON.parse(out) as RawInspect[])
      .catch(() => []);
    if (!c) return undefined;
    return { running: c.State.Running, startedAt: c.State.StartedAt ?? '', metadata: c.Config.Labels?.['devcontainer.metadata'] };
  }

  /** Ids of a Compose project's objects (any state): containers, networks or volumes. */
  async projectObjects(kind: 'container' | 'network' | 'volume', project: string, signal?: AbortSignal): Promise<string[]> {
    const filter = ['--filter', `label=${COMPOSE_PROJECT_LABEL}=${project}`];
    const args = kind === 'container' ? ['ps', '-aq', '--no-trunc', ...filter] : [kind, 'ls', '-q', ...filter];
    return (await this.run(args, signal))
      .split('\n')
      .map((s) => s.trim())
      .filter(Boolean);
  }

  /** The service names of a Compose project's containers (any state), sorted. */
  async projectServices(project: string, signal?: AbortSignal): Promise<string[]> {
    const out = await this.run(['ps', '-a', '--filter', `label=${COMPOSE_PROJECT_LABEL}=${project}`, '--format', `{{.Label "${COMPOSE_SERVICE_LABEL}"}}`], signal);
    return [
      ...new Set(
        out
          .split('\n')
          .map((s) => s.trim())
          .filter(Boolean),
      ),
    ].sort();
  }

  async ping(signal?: AbortSignal): Promise<string> {
    return (await this.run(['version', '--format', '{{.Server.Version}}'], signal)).trim();
  }
}

interface RawInspect {
  Id: string;
  Created: string;
  State: { Status: string; Running: boolean; StartedAt?: string };
  Config: { Image: string; Labels: Record<string, string> | null };
}

function toInfo(c: RawInspect): ContainerInfo {
  const labels = c.Config.Labels ?? {};
  return {
    id: c.Id,
    state: c.State.Status,
    running: c.State.Running,
    image: c.Config.Image,
    createdAt: c.Created,
    workspace: labels['devcontainer.local_folder'],
    configFile: labels['devcontainer.config_file'],
    ...(isGenerated(labels) ? { generatedConfig: true } : {}),
    remoteUser: remoteUserOf(labels['devcontainer.metadata']),
    ...(labels[COMPOSE_PROJECT_LABEL] ? { composeProject: labels[COMPOSE_PROJECT_LABEL] } : {}),
  };
}

function isGenerated(labels: Record<string, string>): boolean {
  const [key, value] = GENERATED_LABEL.split('=');
  return key !== undefined && labels[key] === value;
}

// devcontainer.metadata is a JSON array of config fragments; the last remoteUser wins.
function remoteUserOf(metadata: string | undefined): string | undefined {
  if (!metadata) return undefined;
  try {
    const entries = JSON.parse(metadata) as Array<{ remoteUser?: string; containerUser?: string }>;
    const list = Array.isArray(entries) ? entries : [entries];
    return list.reduce<string | undefined>((u, e) => e.remoteUser ?? e.containerUser ?? u, undefined);
  } catch {
    return undefined;
  }
}

const ENGINE_DOWN = /Cannot connect to the Docker daemon|Is the docker daemon running|connect: no such file or directory|error during connect|connection refused/i;

export function isEngineDown(text: string): boolean {
  return ENGINE_DOWN.test(text);
}

export function engineUnreachable(detail: string): CacError {
  return new CacError('ERR_ENGINE_UNREACHABLE', `container engine unreachable: ${detail}`, {
    hint: "run 'cac doctor'; start an engine (scripts/infra up) or set [engine] host / DOCKER_HOST",
  });
}

function dockerError(args: readonly string[], stderr: string, exitCode: number, dockerPath: string): CacError {
  const last = stderr.trim().split('\n').filter(Boolean).pop() ?? `exit ${exitCode}`;
  if (exitCode === 127) return new CacError('ERR_ENGINE_UNREACHABLE', `${dockerPath} not found`, { hint: "install a Docker-compatible CLI or set [engine] docker_path; run 'cac doctor'" });
  if (isEngineDown(stderr)) return engineUnreachable(last);
  return new CacError('ERR_ENGINE', `docker ${args[0] ?? ''} failed: ${last}`, { hint: "run 'cac doctor' to check the engine" });
}
