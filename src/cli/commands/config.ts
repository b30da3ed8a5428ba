// config path|show|init|validate, doctor and completion.
import { Argument, type Command } from '@commander-js/extra-typings';
import { lazyAction, type Runtime } from '../action.js';

const config = () => import('../handlers/config.js');

export function registerConfig(program: Command, rt: Runtime): void {
  const cfg = program.command('config').description('the global config file (TOML)');
  cfg
    .command('path')
    .description('print the config file path cac uses')
    .action(lazyAction(rt, () => config().then((m) => m.path)));
  cfg
    .command('show')
    .description('print the effective config, defaults included')
    .action(lazyAction(rt, () => config().then((m) => m.show)));
  cfg
    .command('init')
    .description('write a commented starter config (creates directories)')
    .option('--force', 'overwrite an existing file')
    .action(lazyAction(rt, () => config().then((m) => m.init)));
  cfg
    .command('validate')
    .description('check a config file: exit 0 valid, 2 invalid, 3 unknown keys')
    .argument('[file]', 'file to check (default: the config file cac uses)')
    .action(lazyAction(rt, () => config().then((m) => m.validate)));

  program
    .command('doctor')
    .description('check Node, the container engine, the devcontainer CLI, git, ssh, config and store')
    .action(lazyAction(rt, () => import('../handlers/doctor.js').then((m) => m.doctor)));
  program
    .command('completion')
    .description('print a shell completion script')
    .addArgument(new Argument('<shell>', 'shell').choices(['bash', 'zsh', 'fish'] as const))
    .action(lazyAction(rt, () => import('../handlers/completion.js').then((m) => m.completion)));
}
