// config path|show|init|validate, doctor and completion.
import { Argument, type Command } from 'commander';
import { lazyAction, type Handler, type Runtime } from '../action.js';

const cfg = (name: 'path' | 'show' | 'init' | 'validate') => (): Promise<Handler> =>
  import('../handlers/config.js').then((m) => m[name]);

export function registerConfig(program: Command, rt: Runtime): void {
  const config = program.command('config').description('the global config file (TOML)');
  config.command('path').description('print the config file path cac uses').action(lazyAction(rt, cfg('path')));
  config.command('show').description('print the effective config, defaults included').action(lazyAction(rt, cfg('show')));
  config
    .command('init')
    .description('write a commented starter config (creates directories)')
    .option('--force', 'overwrite an existing file')
    .action(lazyAction(rt, cfg('init')));
  config
    .command('validate')
    .description('check a config file: exit 0 valid, 2 invalid, 3 unknown keys')
    .argument('[file]', 'file to check (default: the config file cac uses)')
    .action(lazyAction(rt, cfg('validate')));

  program
    .command('doctor')
    .description('check Node, the container engine, the devcontainer CLI, git, ssh, config and store')
    .action(lazyAction(rt, () => import('../handlers/doctor.js').then((m) => m.doctor)));
  program
    .command('completion')
    .description('print a shell completion script')
    .addArgument(new Argument('<shell>', 'shell').choices(['bash', 'zsh', 'fish']))
    .action(lazyAction(rt, () => import('../handlers/completion.js').then((m) => m.completion)));
}
