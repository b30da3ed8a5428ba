// Reporters for --json (progress as plain lines on stderr, so stdout holds one document) and --quiet.
import type { Reporter } from '../ports/reporter.js';
import { escapeControls } from './escape.js';
import type { Stdio } from './streams.js';

/** Under --json: no colors, no spinners, progress on stderr; the result document is printed elsewhere. */
export function createJsonReporter(stdio: Stdio, verbose: boolean): Reporter {
  const line = (t: string) => stdio.stderr.write(`${escapeControls(t)}\n`);
  return {
    emit(e) {
      if (e.type === 'step.start') line(`[..] ${e.title}`);
      else if (e.type === 'step.ok') line(`[ok] ${e.id}${e.detail ? `: ${e.detail}` : ''}`);
      else if (e.type === 'step.fail') line(`[fail] ${e.id}${e.detail ? `: ${e.detail}` : ''}`);
      else if (e.type === 'warning') line(`warning: ${e.message}`);
      else if (e.type === 'info') line(e.message);
      else if (e.type === 'log' && verbose) line(`[${e.source}] ${e.line}`);
    },
    close() {},
  };
}

/** --quiet: nothing but warnings' one-line messages (errors are printed by the top-level handler). */
export function createQuietReporter(stdio: Stdio): Reporter {
  return {
    emit(e) {
      if (e.type === 'warning') stdio.stderr.write(`warning: ${escapeControls(e.message)}\n`);
    },
    close() {},
  };
}
