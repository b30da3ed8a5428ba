// Local devcontainer lifecycle: up start stop rebuild down exec list.
import type { Command } from '@commander-js/extra-typings';
import { lazyAction, type Runtime } from '../action.js';

const handlers = () => import('../handlers/lifecycle.js');

function workspaceCommand(program: Command, name: string, description: string) {
  return program
    .command(name)
    .description(description)
    .argument('[workspace]', 'workspace folder holding .devcontainer/ (default: the current directory)')
    .option('--config-file <path>', 'devcontainer.json to use instead of the default locations');
}

export function registerLifecycle(program: Command, rt: Runtime): void {
  workspaceCommand(program, 'up', 'build if needed, create or reuse, and start the dev container; inject agents')
    .option('--image <ref>', 'for a folder without a devcontainer configuration: run it in this image (remembered for the folder)')
    .option('--no-agents', 'skip agent injection this time')
    .action(lazyAction(rt, () => handlers().then((m) => m.up)));
  workspaceCommand(program, 'start', 'start the stopped dev container and run its start-time lifecycle commands')
    .option('--no-agents', 'skip agent injection this time')
    .action(lazyAction(rt, () => handlers().then((m) => m.start)));
  workspaceCommand(program, 'stop', 'stop the dev container (nothing to stop is not an error)').action(lazyAction(rt, () => handlers().then((m) => m.stop)));
  workspaceCommand(program, 'rebuild', 'remove the dev container and recreate it from a fresh build')
    .option('--no-cache', 'build the image without the build cache')
    .option('--no-agents', 'skip agent injection this time')
    .action(lazyAction(rt, () => handlers().then((m) => m.rebuild)));
  workspaceCommand(program, 'down', 'remove the dev container (nothing to remove is not an error)')
    .option('--volumes', "also remove the container's anonymous volumes")
    .action(lazyAction(rt, () => handlers().then((m) => m.down)));
  workspaceCommand(program, 'exec', 'run a command in the dev container as its remote user: cac exec [workspace] -- <cmd> [args...]')
    .argument('[command...]', 'the command and its arguments, after --')
    .action(lazyAction(rt, () => handlers().then((m) => m.exec)));
  program
    .command('list')
    .description('list cac-managed dev containers with workspace, state, image and age')
    .option('--all', 'include stopped containers')
    .action(lazyAction(rt, () => handlers().then((m) => m.list)));
}
