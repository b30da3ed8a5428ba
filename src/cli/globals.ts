// Global options, accepted before or after the command (commander recognises program options anywhere
// unless positional options are enabled).
import type { Command, CommandUnknownOpts } from '@commander-js/extra-typings';
import type { GlobalOptions } from '../app/context.js';

export function addGlobalOptions(program: Command) {
  return program
    .option('--json', 'print the result as one JSON document on stdout')
    .option('--config <file>', 'config file (default: $CAC_CONFIG, else $XDG_CONFIG_HOME/cac/config.toml)')
    .option('-v, --verbose', 'show child process logs and stack traces')
    .option('-q, --quiet', 'print nothing but errors and warnings')
    .option('--no-color', 'disable colors (also NO_COLOR=1)');
}

/** The globals as parsed by the program that `addGlobalOptions` declared them on. */
type Globals = ReturnType<ReturnType<typeof addGlobalOptions>['opts']>;

export function globalsOf(cmd: CommandUnknownOpts): GlobalOptions {
  const o = cmd.optsWithGlobals() as Partial<Globals>;
  return { json: o.json === true, config: o.config, verbose: o.verbose === true, quiet: o.quiet === true, color: o.color !== false };
}
