// Builds the local DevcontainerEngine from [engine] config and the environment.
import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import { AGENT_KINDS } from '../domain/kinds.js';
import { DevcontainerCliEngine } from '../adapters/engine/devcontainer-cli.js';
import { devcontainerCli } from '../adapters/engine/cli-path.js';
import type { Host } from '../ports/host.js';

export function engineEnv(config: Config, env: Record<string, string | undefined>): Record<string, string> {
  const host = config.engine.host ?? env.DOCKER_HOST;
  return host ? { DOCKER_HOST: host } : {};
}

/** Values cac forwards into containers (agents' env_forward): scrubbed from every devcontainer log. */
function forwardedSecrets(config: Config, env: Record<string, string | undefined>): string[] {
  const names = AGENT_KINDS.flatMap((k) => config.agents[k].env_forward);
  return [...new Set(names.map((n) => env[n]).filter((v): v is string => typeof v === 'string' && v !== ''))];
}

export function localEngine(config: Config, host: Host, env: Record<string, string | undefined>, stateDir: string): DevcontainerCliEngine {
  return new DevcontainerCliEngine({
    secrets: forwardedSecrets(config, env),
    host,
    cli: [process.execPath, devcontainerCli().script],
    dockerPath: config.engine.docker_path,
    env: engineEnv(config, env),
    logDir: join(stateDir, 'logs'),
  });
}
