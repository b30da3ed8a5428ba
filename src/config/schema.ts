// The one typed Config, validated at the edge. Keys are the TOML keys (snake_case) so a name means
// the same thing in the file, in `config show --json` and in code. zod/mini: the same validation as
// classic zod at a fraction of the load time (this module loads on every command that reads config).
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';
import { DURATION_LIMITS, durationProblem, type DurationLimit } from '../domain/duration.js';
import { BOX_DRIVERS, isAgentVersion, ON_FORK } from '../domain/kinds.js';
import { isImageRef } from '../domain/validate.js';
import { isIpAddress } from '../domain/hosts.js';
import { productBoxImage } from '../domain/box-image.js';
import { VERSION } from '../util/version.js';

// mini ships no messages; English ones make "expected number to be >=0" rather than "Invalid input"
z.config(en());

const withDefault = <T extends z.ZodMiniType>(schema: T, value: z.output<T>) => z._default(schema, value as never);
const nonEmpty = () => z.string().check(z.minLength(1));
const flag = (value: boolean) => withDefault(z.boolean(), value);
// `limit`: "timer" for a value that drives a timer, "stored" for one only compared with timestamps
const durationString = (limit: DurationLimit) =>
  z.string().check(
    z.refine((v) => durationProblem(v, limit) === undefined, {
      error: (iss) =>
        durationProblem(String(iss.input), limit) === 'is not a duration' ? 'expected a duration like "90s", "10m" or "8h"' : `expected a duration of at most ${DURATION_LIMITS[limit].text}`,
    }),
  );
const duration = (def: string, limit: DurationLimit) => withDefault(durationString(limit), def);
const imageRef = () => z.string().check(z.refine(isImageRef, 'expected an image reference like "mcr.microsoft.com/devcontainers/javascript-node:20"'));
/** The documented `[boxes] default_image`: git, a shell and Node, as hosted workspace products start from. */
const DEFAULT_WORKSPACE_IMAGE = 'mcr.microsoft.com/devcontainers/javascript-node:20';
const envName = z.string().check(z.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name'));

// the agent-injection design writes one path as a plain string; an array lists several (host side)
const paths = () =>
  z.pipe(
    z.union([nonEmpty(), z.array(nonEmpty())], { error: 'expected a path or an array of paths' }),
    z.transform((v) => (typeof v === 'string' ? [v] : v)),
  );
// an agent has one config dir in the container: an array may hold only that one path
const onePath = () =>
  z.pipe(
    z.union([nonEmpty(), z.tuple([nonEmpty()])], { error: 'expected a path (or an array of one path: the container has one config dir per agent)' }),
    z.transform((v) => (typeof v === 'string' ? v : v[0])),
  );

const agentSchema = z.object({
  enabled: flag(false),
  install: flag(true),
  host_config_path: z.optional(paths()),
  container_config_path: z.optional(onePath()),
  env_forward: withDefault(z.array(envName), []),
  install_command: z.optional(nonEmpty()),
  version: z.optional(z.string().check(z.refine(isAgentVersion, { message: 'expected "latest" or an exact version like "0.171.0"' }))),
  // a rotating login (Claude OAuth, Codex with a ChatGPT login) already live elsewhere, going into a box
  on_fork: withDefault(z.enum(ON_FORK), 'warn'),
});

const agentDefaults = () => agentSchema.parse({});

const agentsSchema = z.object({
  enabled: flag(false),
  on_start: flag(true),
  on_rebuild: flag(true),
  sync_back: flag(true),
  max_copy_mb: withDefault(z.number().check(z.positive()), 20),
  codex: withDefault(agentSchema, agentDefaults()),
  claude: withDefault(agentSchema, agentDefaults()),
  cursor: withDefault(agentSchema, agentDefaults()),
  gemini: withDefault(agentSchema, agentDefaults()),
});

const engineSchema = z.object({
  docker_path: withDefault(nonEmpty(), 'docker'),
  host: z.optional(nonEmpty()),
});

const storeSchema = z.object({
  url: z.optional(z.string().check(z.regex(/^(rediss?:\/\/|sqlite:)/, 'expected "redis://…", "rediss://…" or "sqlite:<path>"'))),
});

const fleetHostSchema = z.object({
  host: nonEmpty(),
  port: withDefault(z.number().check(z.int(), z.minimum(1), z.maximum(65535)), 22),
  user: nonEmpty(),
  host_key: z.string().check(z.regex(/^(ssh-ed25519|ecdsa-sha2-nistp\d+|ssh-rsa) [A-Za-z0-9+/=]+/, 'expected an OpenSSH public key line')),
  identity_file: z.optional(nonEmpty()),
  labels: withDefault(z.array(z.string()), []),
});

const commandDriverSchema = z.object({
  create: z.optional(nonEmpty()),
  destroy: z.optional(nonEmpty()),
  list: z.optional(nonEmpty()),
  status: z.optional(nonEmpty()),
  timeout: duration('5m', 'timer'),
  // what the plugins get of cac's environment beyond the allow-list (a cloud CLI's credentials); never CAC_*
  env: z.optional(z.array(envName.check(z.refine((n) => !n.startsWith('CAC_'), { message: "CAC_* variables are cac's own and never passed to a plugin" })))),
});

/** The box image of this cac version (`cac box image build` makes it). */
export const DEFAULT_BOX_IMAGE = productBoxImage(VERSION);

const boxesSchema = z.object({
  driver: withDefault(z.enum(BOX_DRIVERS), 'docker'),
  provision: withDefault(z.enum(['full', 'vm']), 'full'),
  repo_delivery: z.optional(z.enum(['clone', 'push'])),
  preload_images: withDefault(z.array(nonEmpty()), []),
  // a repo without a devcontainer configuration runs in this image; "" turns it off (such boxes fail)
  default_image: withDefault(
    z.union([z.literal(''), imageRef()], { error: 'expected an image reference like "mcr.microsoft.com/devcontainers/javascript-node:20", or "" for none' }),
    DEFAULT_WORKSPACE_IMAGE,
  ),
  lease_ttl: duration('8h', 'stored'),
  provision_timeout: duration('15m', 'timer'),
  orphan_grace: duration('10m', 'stored'),
  docker: withDefault(
    z.object({
      image: withDefault(nonEmpty(), DEFAULT_BOX_IMAGE),
      // the address boxes' SSH ports are published on and reached at (hosts sharing a store reach each other's boxes there)
      ssh_host: withDefault(z.string().check(z.refine(isIpAddress, 'must be an IP address of this host')), '127.0.0.1'),
    }),
    { image: DEFAULT_BOX_IMAGE, ssh_host: '127.0.0.1' },
  ),
  fleet: withDefault(z.array(fleetHostSchema), []),
  command: z.optional(commandDriverSchema),
  keep_destroyed: duration('7d', 'stored'),
  // off unless set: a held box measured idle this long on the box is released by reconcile
  idle_timeout: z.optional(durationString('stored')),
  // off when absent; 0 is a limit too (no new box, no claim)
  max_live: z.optional(z.number().check(z.int(), z.minimum(0))),
  max_per_claimant: z.optional(z.number().check(z.int(), z.minimum(0))),
});

const poolSchema = z
  .object({
    repo_url: nonEmpty(),
    base_branch: withDefault(nonEmpty(), 'main'),
    min_standby: withDefault(z.number().check(z.int(), z.minimum(0)), 1),
    max_instances: withDefault(z.number().check(z.int(), z.minimum(1)), 10),
    // how long a box may have been last checked at its branch head when a claim hands it out; default: one reconcile interval (60 s)
    max_staleness: z.optional(z.string().check(z.refine((v) => durationProblem(v, 'stored') === undefined, { error: 'expected a duration like "90s", "10m" or "8h"' }))),
  })
  .check(z.refine((p) => p.min_standby <= p.max_instances, { message: 'min_standby must not exceed max_instances', path: ['min_standby'] }));

// local dev containers (cac up and friends)
const localSchema = z.object({
  default_image: z.optional(imageRef()),
});

const secretsSchema = z.object({
  master_key_file: z.optional(nonEmpty()),
});

/** The config's schema (zod/mini), keys as in the TOML file; `parse({})` gives every default. */
export const configSchema = z.object({
  agents: withDefault(agentsSchema, agentsSchema.parse({})),
  engine: withDefault(engineSchema, engineSchema.parse({})),
  local: withDefault(localSchema, {}),
  store: withDefault(storeSchema, {}),
  boxes: withDefault(boxesSchema, boxesSchema.parse({})),
  pools: withDefault(z.array(poolSchema), []),
  secrets: withDefault(secretsSchema, {}),
});

/** The validated config, keys as in the TOML file (README "Configuration"). */
export type Config = z.output<typeof configSchema>;
/** One agent's table, `[agents.<kind>]`. */
export type AgentConfig = z.output<typeof agentSchema>;
/** One `[[pools]]` entry. */
export type PoolConfig = z.output<typeof poolSchema>;
/** One `[[boxes.fleet]]` host of the ssh-fleet driver. */
export type FleetHostConfig = z.output<typeof fleetHostSchema>;
