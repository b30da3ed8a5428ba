// cac completion bash|zsh|fish: the script on stdout.
import { EXIT } from '../../errors.js';
import { buildProgram } from '../program.js';
import { completionScript, type Shell } from '../completion/index.js';
import type { Handler } from '../action.js';

export const completion: Handler = async (ctx, { args }) => {
  const shell = args[0] as Shell;
  const program = buildProgram({ stdio: ctx.stdio, signal: ctx.signal, argv: [], exitCode: 0 });
  const script = completionScript(program, shell);
  ctx.result({ outcome: 'ok', shell, script }, script);
  return EXIT.ok;
};
