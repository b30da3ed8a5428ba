// The whole command tree. Building it is cheap (no handler modules load), so completions are generated
// from the same program users run.
import { Command, type CommandUnknownOpts } from '@commander-js/extra-typings';
import { VERSION } from '../version.js';
import type { Runtime } from './action.js';
import { addGlobalOptions } from './globals.js';
import { registerLifecycle } from './commands/lifecycle.js';
import { registerAgents } from './commands/agents.js';
import { registerBoxes } from './commands/boxes.js';
import { registerConfig } from './commands/config.js';

export function buildProgram(rt: Runtime): Command {
  const program = new Command('cac')
    .description('CodeAgentController: ready-to-work dev containers and remote boxes for AI coding agents')
    .version(VERSION, '--version', 'print the version')
    .showSuggestionAfterError(true)
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => void rt.stdio.stdout.write(s),
      writeErr: (s) => void rt.stdio.stderr.write(s),
      // usage errors are printed by run() in the one error format (or as JSON)
      outputError: () => {},
    });
  addGlobalOptions(program);
  registerLifecycle(program, rt);
  registerAgents(program, rt);
  registerBoxes(program, rt);
  registerConfig(program, rt);
  // every subcommand inherits the error handling and output settings
  program.commands.forEach(function inherit(c: CommandUnknownOpts): void {
    c.exitOverride().showSuggestionAfterError(true);
    c.configureOutput(program.configureOutput());
    c.commands.forEach(inherit);
  });
  return program;
}
