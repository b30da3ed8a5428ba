// `cac doctor`: each check is a command run on a Host, turned into a row with a status and a hint.
import type { Host } from '../../ports/host.js';
import { COMPOSE_INSTALL_HINT } from '../../domain/compose.js';
import { detectCompose } from './compose.js';

type CheckStatus = 'ok' | 'warning' | 'error';

/** One doctor row: its name, ok | warning | error, and what was found. */
export interface DoctorCheck {
  name: string;
  status: CheckStatus;
  detail: string;
  hint?: string;
}

export interface DoctorDeps {
  host: Host;
  nodeVersion: string;
  /** docker CLI path and extra env (DOCKER_HOST) from [engine]. */
  docker: { path: string; env: Record<string, string> };
  /** The devcontainer CLI entry script and its declared version. */
  devcontainer: { script: string; version: string };
  config: () => Promise<DoctorCheck>;
  store: () => Promise<DoctorCheck>;
  signal?: AbortSignal;
}

/** Runs the doctor checks (`cac doctor`): engine, devcontainer CLI, store, driver, agents. */
export async function runDoctor(deps: DoctorDeps): Promise<DoctorCheck[]> {
  const [engine, compose, devcontainer, git, ssh, config, store] = await Promise.all([
    checkEngine(deps),
    checkCompose(deps),
    checkDevcontainer(deps),
    checkTool(deps, 'git', ['git', '--version'], 'install git (apt-get install git)'),
    checkTool(deps, 'ssh client', ['ssh', '-V'], 'install OpenSSH (apt-get install openssh-client)'),
    deps.config(),
    deps.store(),
  ]);
  return [checkNode(deps.nodeVersion), ...engine, compose, devcontainer, git, ssh, config, store];
}

/** 0 all ok, 3 with warnings, 1 with errors. */
export function doctorExitCode(checks: readonly DoctorCheck[]): number {
  if (checks.some((c) => c.status === 'error')) return 1;
  return checks.some((c) => c.status === 'warning') ? 3 : 0;
}

function checkNode(version: string): DoctorCheck {
  const major = Number(/^v?(\d+)/.exec(version)?.[1] ?? 0);
  return major >= 20 ? { name: 'node', status: 'ok', detail: version } : { name: 'node', status: 'error', detail: version, hint: 'cac needs Node.js 20 or newer' };
}

async function checkEngine(deps: DoctorDeps): Promise<DoctorCheck[]> {
  const r = await deps.host.exec([deps.docker.path, 'version', '--format', '{{json .}}'], {
    env: deps.docker.env,
    timeoutMs: 15_000,
    ...(deps.signal ? { signal: deps.signal } : {}),
  });
  if (r.exitCode === 127) {
    return [
      { name: 'engine client', status: 'error', detail: `${deps.docker.path} not found`, hint: 'install a Docker-compatible client, or set [engine] docker_path' },
      { name: 'engine server', status: 'error', detail: 'no client to ask', hint: 'install a Docker-compatible engine' },
    ];
  }
  const info = parseVersion(r.stdout);
  const client: DoctorCheck = { name: 'engine client', status: info.client ? 'ok' : 'warning', detail: info.client ? `docker ${info.client}` : 'version unknown' };
  const server: DoctorCheck = info.server
    ? { name: 'engine server', status: 'ok', detail: `${info.product} ${info.server}${info.api ? ` (API ${info.api})` : ''}, reachable` }
    : {
        name: 'engine server',
        status: 'error',
        detail: `not reachable: ${lastLine(r.stderr) || `exit ${r.exitCode}`}`,
        hint: 'start an engine (scripts/infra up starts dockerd), or point [engine] host / DOCKER_HOST at one',
      };
  return [client, server];
}

export function parseVersion(stdout: string): { client?: string; server?: string; api?: string; product: 'Docker' | 'Podman' } {
  try {
    const v = JSON.parse(stdout.trim().split('\n')[0] ?? '{}') as {
      Client?: { Version?: string };
      Server?: { Version?: string; ApiVersion?: string; Platform?: { Name?: string }; Components?: Array<{ Name?: string; Version?: string }> } | null;
    };
    // Podman's Docker-compatible API names itself in the platform and components; it answers with its own version
    const podman = v.Server?.Components?.find((c) => /podman/i.test(c.Name ?? ''));
    const product = podman || /podman/i.test(v.Server?.Platform?.Name ?? '') ? 'Podman' : 'Docker';
    const server = podman?.Version ?? v.Server?.Version;
    return { product, ...(v.Client?.Version ? { client: v.Client.Version } : {}), ...(server ? { server, api: v.Server?.ApiVersion ?? '' } : {}) };
  } catch {
    return { product: 'Docker' };
  }
}

// Only dev containers with `dockerComposeFile` need Compose: missing is a warning, not an error.
async function checkCompose(deps: DoctorDeps): Promise<DoctorCheck> {
  const found = await detectCompose(deps.host, deps.docker.path, deps.docker.env, deps.signal);
  if (!found) return { name: 'compose', status: 'warning', detail: "missing: neither 'docker compose' nor 'docker-compose' runs (needed for dockerComposeFile configs)", hint: COMPOSE_INSTALL_HINT };
  return { name: 'compose', status: 'ok', detail: `${found.argv.join(' ')} ${found.version} (Compose ${found.flavor})` };
}

async function checkDevcontainer(deps: DoctorDeps): Promise<DoctorCheck> {
  const r = await deps.host.exec([process.execPath, deps.devcontainer.script, '--version'], { timeoutMs: 30_000 });
  const got = r.stdout.trim();
  if (r.exitCode !== 0) {
    return { name: 'devcontainer CLI', status: 'error', detail: `does not run: ${lastLine(r.stderr)}`, hint: "reinstall cac's dependencies (npm ci)" };
  }
  return got === deps.devcontainer.version
    ? { name: 'devcontainer CLI', status: 'ok', detail: `@devcontainers/cli ${got}` }
    : { name: 'devcontainer CLI', status: 'warning', detail: `runs ${got}, dependency says ${deps.devcontainer.version}`, hint: 'run npm ci' };
}

async function checkTool(deps: DoctorDeps, name: string, argv: string[], hint: string): Promise<DoctorCheck> {
  const r = await deps.host.exec(argv, { timeoutMs: 10_000 });
  if (r.exitCode !== 0) return { name, status: 'error', detail: lastLine(r.stderr) || `exit ${r.exitCode}`, hint };
  return { name, status: 'ok', detail: lastLine(`${r.stdout}\n${r.stderr}`) };
}

function lastLine(text: string): string {
  return text.trim().split('\n').filter(Boolean).pop()?.trim() ?? '';
}
