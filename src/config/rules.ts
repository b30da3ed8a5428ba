// The checks a config must pass beyond its schema: the ones box commands make before they use it (a bad
// pool, a pool listed twice, a fleet host listed twice, a command line that needs a shell, a driver
// without its settings). Loading runs them, so `config validate` and every other command give one
// verdict. They call the very functions the box code calls, so the two cannot drift apart.
import type { Config } from './schema.js';
import { isCacError } from '../errors.js';
import { configPoolFields, validatePool, validatePools, type PoolDefinition } from '../domain/pool.js';
import { fleetHosts } from '../domain/fleet.js';
import { shellWords } from '../domain/shell-words.js';

export interface RuleProblem {
  /** Where in the file: `['pools', 1, 'base_branch']` (for the line number). */
  path: Array<string | number>;
  /** The message, starting with the field it is about. */
  message: string;
  hint?: string;
}

const COMMAND_CALLS = ['create', 'destroy', 'list', 'status'] as const;

/** Every rule the config breaks, in file order of the sections; none for a config the box code accepts. */
export function configProblems(config: Config): RuleProblem[] {
  return [...poolProblems(config), ...fleetProblems(config), ...commandProblems(config)];
}

function poolProblems(config: Config): RuleProblem[] {
  const pools: PoolDefinition[] = config.pools.map((p) => ({ repoUrl: p.repo_url, baseBranch: p.base_branch, minStandby: p.min_standby, maxInstances: p.max_instances }));
  const each = pools.flatMap((pool, i) => caught(() => validatePool(pool, configPoolFields(i)), ['pools', i]));
  // a pool listed twice is only worth saying about entries that are valid on their own
  return each.length ? each : caught(() => validatePools(pools, configPoolFields), ['pools']);
}

function fleetProblems(config: Config): RuleProblem[] {
  const { driver, fleet } = config.boxes;
  if (driver === 'ssh-fleet' && fleet.length === 0) {
    return [{ path: ['boxes'], message: 'boxes.fleet: the ssh-fleet driver needs at least one [[boxes.fleet]] host', hint: 'add a [[boxes.fleet]] table with host, user and host_key per machine' }];
  }
  return caught(() => fleetHosts(fleet), ['boxes', 'fleet']);
}

function commandProblems(config: Config): RuleProblem[] {
  const command = config.boxes.command;
  const problems: RuleProblem[] = [];
  for (const call of COMMAND_CALLS) {
    const line = command?.[call];
    if (line !== undefined) problems.push(...caught(() => shellWords(line), ['boxes', 'command', call], `boxes.command.${call}: `));
  }
  const missing = COMMAND_CALLS.filter((call) => !command?.[call]);
  if (config.boxes.driver === 'command' && missing.length) {
    problems.push({
      path: ['boxes', 'command'],
      message: `boxes.command: the command driver needs ${missing.join(', ')}`,
      hint: 'set create, destroy, list and status under [boxes.command] (see examples/plugins/README.md)',
    });
  }
  return problems;
}

/** The CacError `fn` throws as a problem at `path` (more precisely at its `details.field`, when it names one). */
function caught(fn: () => unknown, path: Array<string | number>, prefix = ''): RuleProblem[] {
  try {
    fn();
    return [];
  } catch (e) {
    if (!isCacError(e)) throw e;
    const field = typeof e.details?.field === 'string' ? e.details.field : undefined;
    return [{ path: field ? pathOfField(field) : (fleetPath(e.message) ?? path), message: `${prefix}${e.message}`, ...(e.hint ? { hint: e.hint } : {}) }];
  }
}

/** `pools[1].base_branch` → `['pools', 1, 'base_branch']`. */
function pathOfField(field: string): Array<string | number> {
  return field
    .split(/[.[\]]+/)
    .filter(Boolean)
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

/** `boxes.fleet.2: …` → `['boxes', 'fleet', 2]`. */
function fleetPath(message: string): Array<string | number> | undefined {
  const m = /^boxes\.fleet\.(\d+):/.exec(message);
  return m ? ['boxes', 'fleet', Number(m[1])] : undefined;
}
