// Global options, accepted before or after the command (commander recognises program options anywhere
// unless positional options are enabled).
import type { Command } from 'commander';
import type { GlobalOptions } from '../app/context.js';

export function addGlobalOptions(program: Command): Command {
  return program
    .option('--json', 'print the result as one JSON document on stdout')
    .option('--config <file>', 'config file (default: $CAC_CONFIG, else $XDG_CONFIG_HOME/cac/config.toml)')
    .option('-v, --verbose', 'show child process logs and stack traces')
    .option('-q, --quiet', 'print nothing but errors and warnings')
    .option('--no-color', 'disable colors (also NO_COLOR=1)');
}

export function globalsOf(cmd: Command): GlobalOptions {
  const o = cmd.optsWithGlobals() as Record<string, unknown>;
  return {
    json: o.json === true,
    config: typeof o.config === 'string' ? o.config : undefined,
    verbose: o.verbose === true,
    quiet: o.quiet === true,
    color: o.color !== false,
  };
}
