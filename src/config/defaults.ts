// Every default of the config, written out without zod: a command run with no config file never loads
// the schema (zod/mini and building the schema were ~20 ms of every such start). The schema keeps its
// own defaults for the keys a file leaves out; test/unit/config.test.ts holds `configSchema.parse({})`
// equal to this.
import { productBoxImage } from '../domain/box-image.js';
import { VERSION } from '../util/version.js';
import type { AgentConfig, Config } from './schema.js';

const agent = (): AgentConfig => ({ enabled: false, install: true, env_forward: [], on_fork: 'warn' });

/** All defaults: what a missing config file means (a new object each call). */
export function defaultConfig(): Config {
  return {
    agents: { enabled: false, on_start: true, on_rebuild: true, sync_back: true, max_copy_mb: 20, codex: agent(), claude: agent(), cursor: agent(), gemini: agent() },
    engine: { docker_path: 'docker' },
    local: {},
    store: {},
    boxes: {
      driver: 'docker',
      provision: 'full',
      preload_images: [],
      default_image: 'mcr.microsoft.com/devcontainers/javascript-node:20',
      lease_ttl: '8h',
      provision_timeout: '15m',
      orphan_grace: '10m',
      docker: { image: productBoxImage(VERSION), ssh_host: '127.0.0.1' },
      fleet: [],
      keep_destroyed: '7d',
    },
    pools: [],
    secrets: {},
  };
}
