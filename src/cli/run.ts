// The top-level handler: parse, run one command, map any error to `error:`/`hint:` (or a JSON error
// document) and an exit status. The only place that knows the exit-code table.
import { CommanderError } from 'commander';
import { CacError, EXIT, isAbortError, isCacError } from '../errors.js';
import { escapeControls } from '../output/escape.js';
import type { Stdio } from '../output/streams.js';
import type { Runtime } from './action.js';
import { buildProgram } from './program.js';

export async function run(argv: string[], stdio: Stdio, signal: AbortSignal): Promise<number> {
  const rt: Runtime = { stdio, signal, argv, exitCode: EXIT.ok };
  const json = wants(argv, '--json');
  const verbose = wants(argv, '--verbose') || wants(argv, '-v');
  try {
    await buildProgram(rt).parseAsync(argv, { from: 'user' });
    return signal.aborted ? EXIT.interrupted : rt.exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') {
        return e.code === 'commander.help' && e.exitCode !== 0 ? EXIT.usage : EXIT.ok;
      }
      return report(stdio, usageError(e), json, verbose);
    }
    if (signal.aborted || isAbortError(e)) {
      return report(stdio, new CacError('ERR_INTERRUPTED', 'interrupted', { cause: e }), json, verbose);
    }
    return report(stdio, e, json, verbose);
  }
}

// Global flags are read from argv directly so even a parse error honours --json.
function wants(argv: string[], flag: string): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).includes(flag);
}

function usageError(e: CommanderError): CacError {
  const [first = e.message, ...rest] = e.message.split('\n');
  const suggestion = rest.join(' ').match(/\(Did you mean (.+)\?\)/)?.[1];
  return new CacError('ERR_USAGE', first.replace(/^error: /, ''), {
    hint: suggestion ? `did you mean ${suggestion}?` : "see 'cac --help'",
  });
}

function report(stdio: Stdio, e: unknown, json: boolean, verbose: boolean): number {
  const err = isCacError(e)
    ? e
    : new CacError('ERR_INTERNAL', e instanceof Error ? e.message : String(e), {
        hint: 'this is a bug in cac; run again with --verbose and report the stack trace',
        cause: e,
      });
  if (json) {
    const doc = { outcome: 'error', code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}) };
    stdio.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
  }
  if (!json || verbose) {
    const lines = [`error: ${err.message}`];
    const { excerpt, more } = (err.details ?? {}) as { excerpt?: string; more?: string[] };
    if (excerpt) lines.push(excerpt);
    for (const m of more ?? []) lines.push(`error: ${m}`);
    if (err.hint) lines.push(`hint: ${err.hint}`);
    if (verbose) lines.push(String((err.cause instanceof Error ? err.cause : err).stack ?? ''));
    // an error message may quote input (a URL, a name, a plugin's stderr): its control characters are escaped
    stdio.stderr.write(`${escapeControls(lines.join('\n'))}\n`);
  }
  return err.exitCode;
}
