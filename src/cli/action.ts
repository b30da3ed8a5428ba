// Wires a commander action to a lazily imported handler: the handler module (and everything heavy it
// imports) loads only when its command runs, which keeps `cac --version` and `--help` fast.
import type { Command } from 'commander';
import type { Stdio } from '../output/streams.js';
import { globalsOf } from './globals.js';
import type { AppContext } from '../app/context.js';

/** What a command handler receives: positional args and the command's own options. */
export interface CommandInput {
  args: unknown[];
  opts: Record<string, unknown>;
  /** The full command path, e.g. `box request`. */
  path: string;
  /** Everything after the first `--` on the command line (for `exec`). */
  rest: string[];
}

/** A handler returns the exit status; errors it throws are mapped by the top-level handler. */
export type Handler = (ctx: AppContext, input: CommandInput) => Promise<number>;

export interface Runtime {
  stdio: Stdio;
  signal: AbortSignal;
  /** The user's arguments (without node and the script). */
  argv: string[];
  /** Set by the action; read by run() after parsing. */
  exitCode: number;
}

function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

export function lazyAction(runtime: Runtime, load: () => Promise<Handler>) {
  return async function action(this: Command, ...raw: unknown[]): Promise<void> {
    const cmd = raw[raw.length - 1] as Command;
    const args = raw.slice(0, -2);
    const [{ createContext }, handler] = await Promise.all([import('../app/context.js'), load()]);
    const ctx = await createContext(runtime.stdio, globalsOf(cmd), runtime.signal);
    const dashes = runtime.argv.indexOf('--');
    const rest = dashes >= 0 ? runtime.argv.slice(dashes + 1) : [];
    try {
      runtime.exitCode = await handler(ctx, { args, opts: cmd.opts(), path: commandPath(cmd), rest });
    } finally {
      ctx.reporter.close();
    }
  };
}
