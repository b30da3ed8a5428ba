// The one typed Config, validated at the edge. Keys are the TOML keys (snake_case) so a name means
// the same thing in the file, in `config show --json` and in code.
import { z } from 'zod';
import { parseDuration } from '../util/duration.js';

import { BOX_DRIVERS } from './kinds.js';

export { AGENT_KINDS, BOX_DRIVERS, type AgentKind, type BoxDriverName } from './kinds.js';

const duration = (def: string) =>
  z
    .string()
    .default(def)
    .refine((v) => parseDuration(v) !== undefined, { message: 'expected a duration like "90s", "10m" or "8h"' });

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name');

const agentSchema = z.object({
  enabled: z.boolean().default(false),
  install: z.boolean().default(true),
  host_config_path: z.array(z.string().min(1)).optional(),
  container_config_path: z.string().min(1).optional(),
  env_forward: z.array(envName).default([]),
  install_command: z.string().min(1).optional(),
});

const agentsSchema = z.object({
  enabled: z.boolean().default(false),
  on_start: z.boolean().default(true),
  on_rebuild: z.boolean().default(true),
  sync_back: z.boolean().default(true),
  max_copy_mb: z.number().positive().default(20),
  codex: agentSchema.default(agentSchema.parse({})),
  claude: agentSchema.default(agentSchema.parse({})),
  cursor: agentSchema.default(agentSchema.parse({})),
  gemini: agentSchema.default(agentSchema.parse({})),
});

const engineSchema = z.object({
  docker_path: z.string().min(1).default('docker'),
  host: z.string().min(1).optional(),
});

const storeSchema = z.object({
  url: z
    .string()
    .regex(/^(rediss?:\/\/|sqlite:)/, 'expected "redis://…", "rediss://…" or "sqlite:<path>"')
    .optional(),
});

const fleetHostSchema = z.object({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(22),
  user: z.string().min(1),
  host_key: z.string().regex(/^(ssh-ed25519|ecdsa-sha2-nistp\d+|ssh-rsa) [A-Za-z0-9+/=]+/, 'expected an OpenSSH public key line'),
  identity_file: z.string().min(1).optional(),
  labels: z.array(z.string()).default([]),
});

const boxesSchema = z.object({
  driver: z.enum(BOX_DRIVERS).default('docker'),
  repo_delivery: z.enum(['clone', 'push']).optional(),
  preload_images: z.array(z.string().min(1)).default([]),
  lease_ttl: duration('8h'),
  provision_timeout: duration('15m'),
  orphan_grace: duration('10m'),
  docker: z.object({ image: z.string().min(1).default('cac-test/box:bookworm') }).default({ image: 'cac-test/box:bookworm' }),
  fleet: z.array(fleetHostSchema).default([]),
  command: z
    .object({
      create: z.string().min(1).optional(),
      destroy: z.string().min(1).optional(),
      list: z.string().min(1).optional(),
      status: z.string().min(1).optional(),
      timeout: duration('5m'),
    })
    .optional(),
});

const poolSchema = z
  .object({
    repo_url: z.string().min(1),
    base_branch: z.string().min(1).default('main'),
    min_standby: z.number().int().min(0).default(1),
    max_instances: z.number().int().min(1).default(10),
  })
  .refine((p) => p.min_standby <= p.max_instances, {
    message: 'min_standby must not exceed max_instances',
    path: ['min_standby'],
  });

const secretsSchema = z.object({
  master_key_file: z.string().min(1).optional(),
});

export const configSchema = z.object({
  agents: agentsSchema.default(agentsSchema.parse({})),
  engine: engineSchema.default(engineSchema.parse({})),
  store: storeSchema.default({}),
  boxes: boxesSchema.default(boxesSchema.parse({})),
  pools: z.array(poolSchema).default([]),
  secrets: secretsSchema.default({}),
});

export type Config = z.infer<typeof configSchema>;
export type AgentConfig = z.infer<typeof agentSchema>;
export type PoolConfig = z.infer<typeof poolSchema>;
export type FleetHostConfig = z.infer<typeof fleetHostSchema>;

/** All defaults: what a missing config file means. */
export function defaultConfig(): Config {
  return configSchema.parse({});
}
