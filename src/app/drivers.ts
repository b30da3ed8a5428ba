// The ONE VM driver factory: `[boxes] driver` → docker | ssh-fleet | command. Each driver module is
// loaded only when chosen, so commands that never touch boxes start fast.
import type { Config } from '../config/schema.js';
import { BOX_DRIVERS } from '../domain/kinds.js';
import { CacError } from '../errors.js';
import type { FleetLeases } from '../ports/box-store.js';
import type { Host } from '../ports/host.js';
import type { VmDriver } from '../ports/vm-driver.js';
import type { CommandDriverOptions } from '../adapters/vm/command.js';
import type { FleetHostSpec } from '../adapters/vm/fleet-hosts.js';
import { durationMs } from '../domain/duration.js';
import { hostHome } from '../util/paths.js';
import { childEnv, ENGINE_NAMES, type Env } from '../util/child-env.js';
import { engineEnv } from './engine.js';
import { ensureKeyPair } from './ssh-key.js';
import { credentialHomePaths } from '../core/agents/presets.js';
import { AGENTS_ENV_FILE } from '../core/agents/finish-script.js';

export interface DriverDeps {
  /** The machine cac runs on (the docker CLI runs there). */
  host: Host;
  env: Record<string, string | undefined>;
  /** Where cac's own key pair lives (its private half logs in to fleet hosts without an identity_file). */
  stateDir: string;
  /** The box store: ssh-fleet leases its hosts through it. */
  store?: FleetLeases;
  /** Labels on every VM and the filter of its listing (another store's VMs are never our orphans). */
  scope?: Record<string, string>;
  /** Where a driver's warnings go (a box made without its pool's prepared images). */
  warn?: (message: string) => void;
}

/** The VM driver `[boxes] driver` names, made from the config (the CLI's one factory). */
export async function createVmDriver(config: Config, deps: DriverDeps): Promise<VmDriver> {
  const name: string = config.boxes.driver;
  if (name === 'docker') {
    const { DockerVmDriver } = await import('../adapters/vm/docker.js');
    return new DockerVmDriver({
      host: deps.host,
      dockerPath: config.engine.docker_path,
      env: engineEnv(config, deps.env),
      image: config.boxes.docker.image,
      sshHost: config.boxes.docker.ssh_host,
      ...(deps.scope ? { scope: deps.scope } : {}),
      innerDocker: deps.env.CAC_BOX_INNER_DOCKER !== '0',
      ...(deps.warn ? { warn: deps.warn } : {}),
    });
  }
  if (name === 'ssh-fleet') {
    if (!deps.store) throw new CacError('ERR_INTERNAL', 'the ssh-fleet driver needs the box store for its leases');
    const { SshFleetVmDriver } = await import('../adapters/vm/ssh-fleet.js');
    // a host goes to the next claimant: the agent logins and forwarded variables of this one are wiped first
    const wipe = credentialHomePaths(AGENTS_ENV_FILE);
    return new SshFleetVmDriver({ hosts: await fleetHostSpecs(config), leases: deps.store, privateKey: cacPrivateKey(deps.stateDir), wipe, ...(deps.scope ? { scope: deps.scope } : {}) });
  }
  if (name === 'command') {
    const { CommandVmDriver } = await import('../adapters/vm/command.js');
    return new CommandVmDriver({ ...commandOptions(config, deps.env), ...(deps.scope ? { scope: deps.scope } : {}) });
  }
  throw new CacError('ERR_CONFIG_SCHEMA', `[boxes] driver: unknown driver ${JSON.stringify(name)}`, { hint: `valid drivers: ${BOX_DRIVERS.join(', ')}` });
}

/** `[[boxes.fleet]]` as host specs; none is a config error for the ssh-fleet driver. */
export async function fleetHostSpecs(config: Config): Promise<FleetHostSpec[]> {
  if (config.boxes.fleet.length === 0) {
    throw new CacError('ERR_CONFIG_SCHEMA', 'boxes.fleet: the ssh-fleet driver needs at least one [[boxes.fleet]] host', {
      hint: 'add a [[boxes.fleet]] table with host, user and host_key per machine',
    });
  }
  const { fleetHosts } = await import('../adapters/vm/fleet-hosts.js');
  return fleetHosts(config.boxes.fleet);
}

/** cac's own private key, generated on first use. */
export function cacPrivateKey(stateDir: string): () => Promise<string> {
  return async () => (await ensureKeyPair(stateDir)).privateKey;
}

/** What a command plugin gets of cac's environment: the allow-list, the engine's settings, and the names `[boxes.command] env` lists. */
function pluginEnv(env: Env, listed: readonly string[]): Record<string, string> {
  return childEnv(env, [...ENGINE_NAMES, ...listed]);
}

/** `[boxes.command]` as driver options; every call must be configured. */
export function commandOptions(config: Config, env: Record<string, string | undefined>): CommandDriverOptions {
  const c = config.boxes.command;
  const missing = (['create', 'destroy', 'list', 'status'] as const).filter((call) => !c?.[call]);
  if (!c || missing.length) {
    throw new CacError('ERR_CONFIG_SCHEMA', `boxes.command: the command driver needs ${missing.join(', ')}`, {
      hint: 'set create, destroy, list and status under [boxes.command] (see examples/plugins/README.md)',
    });
  }
  return {
    commands: { create: c.create ?? '', destroy: c.destroy ?? '', list: c.list ?? '', status: c.status ?? '' },
    timeoutMs: durationMs(c.timeout, 'boxes.command.timeout'),
    env: pluginEnv(env, c.env ?? []),
    home: hostHome(env),
  };
}
