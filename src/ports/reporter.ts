// Reporter: typed progress events. Core emits, src/output renders. Core never prints.

/** One event a Reporter hears. */
export type ReporterEvent =
  /** A long step begins (a spinner on a TTY, a plain line otherwise). */
  | { type: 'step.start'; id: string; title: string }
  /** The step finished; `detail` is shown after its title. */
  | { type: 'step.ok'; id: string; detail?: string }
  /** The step failed; the error itself is reported by the top-level handler. */
  | { type: 'step.fail'; id: string; detail?: string }
  /** Something the user should know that does not fail the command (exit 3 where it counts). */
  | { type: 'warning'; message: string; hint?: string }
  /** A plain informational line. */
  | { type: 'info'; message: string }
  /** A line of a child's log, shown only with --verbose. */
  | { type: 'log'; source: string; line: string };

/** Hears what cac is doing (steps, warnings, info); the library's default, silentReporter, drops it all. */
export interface Reporter {
  /** Render one event (on stderr; stdout is for results only). */
  emit(event: ReporterEvent): void;
  /** Stop any spinner and flush; called once when the command ends. */
  close(): void;
}

/** A reporter that drops everything (library callers that want silence). */
export const silentReporter: Reporter = { emit() {}, close() {} };
