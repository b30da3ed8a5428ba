// One factory picks the reporter for the flags, and one writer prints results to stdout.
import type { Reporter } from '../ports/reporter.js';
import { escapeControls } from './escape.js';
import { createJsonReporter, createQuietReporter } from './plain.js';
import { colorLevel, type OutputOptions, type Stdio } from './streams.js';

export type { OutputOptions, Stdio } from './streams.js';

export async function createReporter(stdio: Stdio, opts: OutputOptions): Promise<Reporter> {
  if (opts.json) return createJsonReporter(stdio, opts.verbose);
  if (opts.quiet) return createQuietReporter(stdio);
  const level = colorLevel(stdio, opts);
  const interactive = Boolean(stdio.stderr.isTTY) && stdio.env.TERM !== 'dumb' && stdio.env.CI !== 'true';
  // spinners only on an interactive terminal, so ora loads only there; chalk only for human output
  const [{ createHumanReporter }, ora] = await Promise.all([import('./human.js'), interactive ? import('ora').then((m) => m.default) : undefined]);
  return createHumanReporter(stdio, { level, verbose: opts.verbose, ora });
}

/** Print a command's result: the JSON document under --json, else the human text (if any, control characters escaped). */
export function writeResult(stdio: Stdio, opts: OutputOptions, doc: object, human?: string): void {
  if (opts.json) stdio.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
  else if (human !== undefined && human !== '') stdio.stdout.write(escapeControls(human.endsWith('\n') ? human : `${human}\n`));
}
