// cac completion bash|zsh|fish: the script on stdout.
import { EXIT } from '../../errors.js';
import { completionScript, type Shell } from '../completion/index.js';
import { buildProgram } from '../program.js';
import type { Handler } from '../action.js';

export const completion: Handler<[shell: Shell]> = async (ctx, { args: [shell] }) => {
  const program = buildProgram({ stdio: ctx.stdio, signal: ctx.signal, argv: [], exitCode: 0 });
  const script = completionScript(program, shell);
  ctx.result({ outcome: 'success', shell, script }, script);
  return EXIT.ok;
};
