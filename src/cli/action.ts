// Wires a commander action to a lazily imported handler: the handler module (and everything heavy it
// imports) loads only when its command runs, which keeps `cac --version` and `--help` fast. The
// handler's argument and option types are checked against the command's declarations
// (@commander-js/extra-typings infers them from `.argument()` and `.option()`).
import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import type { AppContext } from '../app/context.js';
import type { Stdio } from '../output/streams.js';
import { globalsOf } from './globals.js';

/** What a command handler receives: positional args and the command's own options, typed. */
export interface CommandInput<A extends unknown[], O> {
  args: A;
  opts: O;
  /** The full command path, e.g. `box request`. */
  path: string;
  /** Everything after the first `--` on the command line (for `exec`). */
  rest: string[];
}

/** A handler parses, calls app, renders, and returns the exit status; errors it throws are mapped by run(). */
export type Handler<A extends unknown[] = [], O = object> = (ctx: AppContext, input: CommandInput<A, O>) => Promise<number>;

export interface Runtime {
  stdio: Stdio;
  signal: AbortSignal;
  /** The user's arguments (without node and the script). */
  argv: string[];
  /** Set by the action; read by run() after parsing. */
  exitCode: number;
}

function commandPath(cmd: CommandUnknownOpts): string {
  const names: string[] = [];
  for (let c: CommandUnknownOpts | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

export function lazyAction<A extends unknown[], O>(runtime: Runtime, load: () => Promise<Handler<A, O>>) {
  return async (...raw: [...A, O, CommandUnknownOpts]): Promise<void> => {
    const cmd = raw[raw.length - 1] as CommandUnknownOpts;
    const opts = raw[raw.length - 2] as O;
    const args = raw.slice(0, -2) as unknown[] as A;
    const [{ createContext }, handler] = await Promise.all([import('../app/context.js'), load()]);
    const ctx = await createContext(runtime.stdio, globalsOf(cmd), runtime.signal);
    const dashes = runtime.argv.indexOf('--');
    const rest = dashes >= 0 ? runtime.argv.slice(dashes + 1) : [];
    try {
      runtime.exitCode = await handler(ctx, { args, opts, path: commandPath(cmd), rest });
    } finally {
      ctx.reporter.close();
    }
  };
}
