// Human reporter: an ora spinner per step on a TTY, plain prefixed lines otherwise; all on stderr.
import { Chalk, type ChalkInstance } from 'chalk';
import type { Ora } from 'ora';
import type { Reporter, ReporterEvent } from '../ports/reporter.js';
import { escapeControls as safe } from './escape.js';
import type { Stdio } from './streams.js';

export interface HumanReporterOptions {
  level: 0 | 1 | 2 | 3;
  verbose: boolean;
  /** ora's factory, loaded only for an interactive terminal; plain lines without it. */
  ora: typeof import('ora').default | undefined;
}

export function createHumanReporter(stdio: Stdio, opts: HumanReporterOptions): Reporter {
  const c: ChalkInstance = new Chalk({ level: opts.level });
  const err = stdio.stderr;
  const steps = new Map<string, { title: string; started: number; spinner?: Ora }>();
  const line = (text: string) => err.write(`${text}\n`);
  const took = (started: number) => c.dim(`(${((Date.now() - started) / 1000).toFixed(1)}s)`);

  function finish(id: string, ok: boolean, detail?: string): void {
    const step = steps.get(id);
    if (!step) return;
    steps.delete(id);
    const text = `${step.title}${detail ? `: ${safe(detail)}` : ''} ${took(step.started)}`;
    if (step.spinner) {
      if (ok) step.spinner.succeed(text);
      else step.spinner.fail(text);
    } else line(`${ok ? c.green('[ok]') : c.red('[fail]')} ${text}`);
  }

  function emit(e: ReporterEvent): void {
    switch (e.type) {
      case 'step.start': {
        const title = safe(e.title);
        const spinner = opts.ora ? opts.ora({ text: title, stream: err as NodeJS.WriteStream, color: 'cyan', isEnabled: true, isSilent: false }).start() : undefined;
        if (!spinner) line(`${c.cyan('[..]')} ${title}`);
        steps.set(e.id, { title, started: Date.now(), ...(spinner ? { spinner } : {}) });
        return;
      }
      case 'step.ok':
        return finish(e.id, true, e.detail);
      case 'step.fail':
        return finish(e.id, false, e.detail);
      case 'warning':
        pauseSpinners(() => {
          line(`${c.yellow('warning:')} ${safe(e.message)}`);
          if (e.hint) line(`${c.dim('hint:')} ${safe(e.hint)}`);
        });
        return;
      case 'info':
        return pauseSpinners(() => line(safe(e.message)));
      case 'log':
        if (opts.verbose) pauseSpinners(() => line(c.dim(`[${e.source}] ${safe(e.line)}`)));
        return;
    }
  }

  // A line printed under a running spinner would be overwritten: clear, print, redraw.
  function pauseSpinners(print: () => void): void {
    const running = [...steps.values()].filter((s) => s.spinner?.isSpinning);
    running.forEach((s) => s.spinner?.clear());
    print();
    running.forEach((s) => s.spinner?.render());
  }

  return {
    emit,
    close() {
      for (const [id] of steps) finish(id, false, 'interrupted');
    },
  };
}
