// Builds the local DevcontainerEngine from [engine] config and the environment, and decides what of
// cac's environment the devcontainer CLI may see.
import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import { AGENT_KINDS } from '../domain/kinds.js';
import { DevcontainerCliEngine } from '../adapters/engine/devcontainer-cli.js';
import { devcontainerCli } from '../adapters/engine/cli-path.js';
import { PRESETS } from '../core/agents/presets.js';
import { AGENTS_ENV_FILE } from '../core/agents/finish-script.js';
import type { Host } from '../ports/host.js';
import { looksSecret, type Env } from '../util/child-env.js';

export function engineEnv(config: Config, env: Env): Record<string, string> {
  const host = config.engine.host ?? env.DOCKER_HOST;
  return host ? { DOCKER_HOST: host } : {};
}

/** Names cac treats as secrets whatever they look like: every agent's env_forward and auth variables, the plugins' listed ones. */
function secretNames(config: Config): Set<string> {
  return new Set([...AGENT_KINDS.flatMap((k) => [...config.agents[k].env_forward, ...PRESETS[k].authEnv]), ...(config.boxes.command?.env ?? [])]);
}

/** Secret values in cac's environment (master keys, forwarded values): scrubbed from every devcontainer log and error. */
function knownSecrets(config: Config, env: Env): string[] {
  const keys = (env.CAC_MASTER_KEY ?? '').split(',').map((k) => k.trim());
  const forwarded = AGENT_KINDS.flatMap((k) => config.agents[k].env_forward).map((n) => env[n]);
  return [...new Set([...keys, ...forwarded].filter((v): v is string => typeof v === 'string' && v !== ''))];
}

/** What the devcontainer CLI gets for a workspace's `${localEnv:NAME}` references beyond the allow-list. */
export interface LocalEnvPlan {
  /** Non-secret variables the devcontainer.json names: passed to the CLI, their values redacted from logs. */
  pass: Record<string, string>;
  /** Names that look like secrets: never passed (they resolve empty); the caller warns. */
  refused: string[];
}

const NO_LOCAL_ENV: LocalEnvPlan = { pass: {}, refused: [] };

/** Splits a devcontainer.json's localEnv names into what cac passes and what it refuses. */
export function localEnvPlan(config: Config, env: Env, names: readonly string[], allowListed: Readonly<Record<string, string>>): LocalEnvPlan {
  const secret = secretNames(config);
  const pass: Record<string, string> = {};
  const refused: string[] = [];
  for (const name of names) {
    if (name in allowListed) continue;
    if (looksSecret(name, secret)) refused.push(name);
    else if (env[name] !== undefined) pass[name] = env[name];
  }
  return { pass, refused };
}

export function localEngine(config: Config, host: Host, env: Env, stateDir: string, localEnv: LocalEnvPlan = NO_LOCAL_ENV): DevcontainerCliEngine {
  return new DevcontainerCliEngine({
    secrets: [...knownSecrets(config, env), ...Object.values(localEnv.pass)],
    host,
    cli: [process.execPath, devcontainerCli().script],
    dockerPath: config.engine.docker_path,
    env: engineEnv(config, env),
    cliEnv: localEnv.pass,
    loginFiles: [AGENTS_ENV_FILE],
    logDir: join(stateDir, 'logs'),
    memoDir: join(stateDir, 'up'),
  });
}
