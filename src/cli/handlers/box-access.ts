// box exec | ssh: into a box. `exec` runs a command in the box's dev container (as its remote user, in
// its workspace folder) with `devcontainer exec` on the box over SSH; `ssh` opens the system ssh client
// on the box trusting only its pinned host key. Both pass stdio through and exit with the command's status.
import { CacError } from '../../errors.js';
import type { AppContext } from '../../app/context.js';
import { openStore } from '../../app/boxes.js';
import type { Box } from '../../core/boxes/box.js';
import { validateBoxId } from '../../core/boxes/validate.js';
import type { CommandInput, Handler } from '../action.js';

const GONE = new Set(['releasing', 'destroyed']);

/** The box, reachable: not released, SSH target known. */
async function liveBox(ctx: AppContext, id: string): Promise<Box & { sshTarget: NonNullable<Box['sshTarget']> }> {
  const { config } = await ctx.config();
  const store = await openStore(config, ctx.stateDir, { readOnly: true, reporter: ctx.reporter });
  const box = await store.get(id).finally(() => store.close());
  if (!box) throw new CacError('ERR_BOX_NOT_FOUND', `no box ${id}`, { hint: "see 'cac box list'" });
  if (GONE.has(box.state)) throw new CacError('ERR_BOX_GONE', `box ${id} is ${box.state}`, { hint: "request a new one with 'cac box request'" });
  if (!box.sshTarget) throw new CacError('ERR_BOX_NOT_PROVISIONED', `box ${id} has no SSH endpoint yet (state ${box.state})`, { hint: `wait for it: 'cac box show ${id} --wait'` });
  return { ...box, sshTarget: box.sshTarget };
}

// `cac box exec <id> -- cmd args`: the words after `--`, else the operands after the id
function commandOf(input: CommandInput): string[] {
  if (input.rest.length) return input.rest;
  const words = input.args[1];
  return Array.isArray(words) ? words.filter((w): w is string => typeof w === 'string') : [];
}

export const exec: Handler = async (ctx, input) => {
  const id = validateBoxId(typeof input.args[0] === 'string' ? input.args[0] : '', '<id>');
  const argv = commandOf(input);
  if (argv.length === 0) throw new CacError('ERR_USAGE', 'no command given', { hint: 'usage: cac box exec <id> -- <cmd> [args...]' });
  const box = await liveBox(ctx, id);
  const [{ requireContainer, boxLabel }, { boxHost, boxEngine }, { exec: execIn }] = await Promise.all([
    import('../../core/provision/box-workspace.js'),
    import('../../app/provision.js'),
    import('../../core/lifecycle/exec.js'),
  ]);
  const ws = requireContainer(box);
  const host = await boxHost(ctx, box.sshTarget);
  try {
    return await execIn(boxEngine(ctx, host, ws.cli), { folder: ws.folder, configFile: ws.configFile, labels: [boxLabel(id)] }, argv, { signal: ctx.signal });
  } finally {
    await host.close();
  }
};

export const ssh: Handler = async (ctx, input) => {
  const id = validateBoxId(typeof input.args[0] === 'string' ? input.args[0] : '', '<id>');
  const box = await liveBox(ctx, id);
  const [{ ensureKeyPair }, { interactiveSsh }] = await Promise.all([import('../../app/ssh-key.js'), import('../../adapters/host/ssh-client.js')]);
  const keys = await ensureKeyPair(ctx.stateDir);
  return interactiveSsh(box.sshTarget, keys.path, commandOf(input), { env: ctx.childEnv });
};
