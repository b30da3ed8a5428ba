// Agent injection commands: doctor, sync, pull.
import { InvalidArgumentError, Option, type Command } from 'commander';
import { lazyAction, type Handler, type Runtime } from '../action.js';
import { AGENT_KINDS } from '../../domain/kinds.js';

const load = (name: 'doctor' | 'sync' | 'pull') => (): Promise<Handler> =>
  import('../handlers/agents.js').then((m) => m[name]);

// Repeatable rather than variadic, so a workspace after `--agent codex` stays the workspace.
function agentOption(): Option {
  const option = new Option('--agent <kind>', `only this agent; repeat for more (${AGENT_KINDS.join(', ')})`).argParser(
    (value: string, previous: string[] | undefined) => {
      if (!(AGENT_KINDS as readonly string[]).includes(value)) throw new InvalidArgumentError(`Allowed choices are ${AGENT_KINDS.join(', ')}.`);
      return [...(previous ?? []), value];
    },
  );
  option.argChoices = [...AGENT_KINDS];
  return option;
}

export function registerAgents(program: Command, rt: Runtime): void {
  const agents = program.command('agents').description('coding agents inside dev containers (codex, claude, cursor, gemini)');
  agents
    .command('doctor')
    .description('show, for each agent, host checks, container checks and the planned actions')
    .argument('[workspace]', 'workspace folder (default: the current directory)')
    .action(lazyAction(rt, load('doctor')));
  agents
    .command('sync')
    .description('inject the enabled agents into the running dev container now')
    .argument('[workspace]', 'workspace folder (default: the current directory)')
    .addOption(agentOption())
    .action(lazyAction(rt, load('sync')));
  agents
    .command('pull')
    .description('copy credentials the agents refreshed inside the container back to the host')
    .argument('[workspace]', 'workspace folder (default: the current directory)')
    .action(lazyAction(rt, load('pull')));
}
