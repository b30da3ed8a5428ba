// Agent injection commands: doctor, sync, pull.
import { type Command, InvalidArgumentError, Option } from '@commander-js/extra-typings';
import { AGENT_KINDS, type AgentKind } from '../../domain/kinds.js';
import { lazyAction, type Runtime } from '../action.js';

const handlers = () => import('../handlers/agents.js');
const cacheHandlers = () => import('../handlers/agents-cache.js');

const isAgentKind = (value: string): value is AgentKind => (AGENT_KINDS as readonly string[]).includes(value);

// Repeatable rather than variadic, so a workspace after `--agent codex` stays the workspace.
function agentOption() {
  const option = new Option('--agent <kind>', `only this agent; repeat for more (${AGENT_KINDS.join(', ')})`).argParser((value: string, previous: AgentKind[] | undefined) => {
    if (!isAgentKind(value)) throw new InvalidArgumentError(`Allowed choices are ${AGENT_KINDS.join(', ')}.`);
    return [...(previous ?? []), value];
  });
  option.argChoices = [...AGENT_KINDS];
  return option;
}

export function registerAgents(program: Command, rt: Runtime): void {
  const agents = program.command('agents').description('coding agents inside dev containers (codex, claude, cursor, gemini)');
  agents
    .command('doctor')
    .description('show, for each agent, host checks, container checks and the planned actions')
    .argument('[workspace]', 'workspace folder (default: the current directory)')
    .action(lazyAction(rt, () => handlers().then((m) => m.doctor)));
  agents
    .command('sync')
    .description('inject the enabled agents into the running dev container now')
    .argument('[workspace]', 'workspace folder (default: the current directory)')
    .addOption(agentOption())
    .action(lazyAction(rt, () => handlers().then((m) => m.sync)));
  agents
    .command('pull')
    .description('copy credentials the agents refreshed inside the container back to the host')
    .argument('[workspace]', 'workspace folder (default: the current directory)')
    .action(lazyAction(rt, () => handlers().then((m) => m.pull)));
  const cache = agents.command('cache').description('agent CLIs installed once per version and platform, reused by every container');
  cache
    .command('list')
    .description('show the cached agent CLIs (version, platform, size) and what "latest" resolved to')
    .action(lazyAction(rt, () => cacheHandlers().then((m) => m.list)));
  cache
    .command('warm')
    .description("install the pinned agent CLIs into the cache now, in a throwaway container (CI, before 'cac up')")
    .addOption(agentOption())
    .option('--image <image>', 'an image with Node.js on the platform of your dev containers (default: node:20-bookworm-slim)')
    .option('--refresh', 'resolve "latest" through the registry again')
    .action(lazyAction(rt, () => cacheHandlers().then((m) => m.warm)));
  cache
    .command('prune')
    .description('remove cached versions config no longer pins')
    .option('--all', 'remove every cached agent CLI')
    .action(lazyAction(rt, () => cacheHandlers().then((m) => m.prune)));
}
