// One error type for all of cac: a stable code, a one-line message, an optional hint.
// The top-level handler (src/cli/run.ts) is the only place that maps codes to exit statuses.

/** Exit statuses documented in README. */
export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  warnings: 3,
  interrupted: 130,
} as const;

/** code → exit status; codes not listed exit 1 (operation failed). */
const USAGE_CODES = new Set([
  'ERR_USAGE',
  'ERR_CONFIG_SYNTAX',
  'ERR_CONFIG_SCHEMA',
  'ERR_CONFIG_EXISTS',
  'ERR_CONFIG_NOT_FOUND',
  'ERR_CONFIG_READ',
  'ERR_INVALID_INPUT',
  'ERR_NO_DEVCONTAINER',
  'ERR_DEVCONTAINER_JSON',
]);

/** A CacError code: `ERR_` and an upper-case name (README "Exit codes"). */
export type ErrorCode = `ERR_${string}`;

/** A CacError's hint, cause and machine-readable details. */
export interface CacErrorOptions {
  hint?: string;
  cause?: unknown;
  /** Extra machine-readable fields for `--json` error documents (never secrets). */
  details?: Record<string, unknown>;
}

/** cac's one error type: a stable `code`, a one-line message, an optional hint; `exitCode` is the CLI's exit status for it. */
export class CacError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: CacErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CacError';
    this.code = code;
    this.hint = options.hint;
    this.details = options.details;
  }

  /** The process exit status this error maps to. */
  get exitCode(): number {
    if (this.code === 'ERR_INTERRUPTED') return EXIT.interrupted;
    return USAGE_CODES.has(this.code) ? EXIT.usage : EXIT.failed;
  }
}

/** True when `e` is a CacError. */
export function isCacError(e: unknown): e is CacError {
  return e instanceof CacError;
}

/** True for the errors an AbortSignal produces (ours, Node's, execa's). */
export function isAbortError(e: unknown): boolean {
  if (e instanceof CacError) return e.code === 'ERR_INTERRUPTED';
  if (!(e instanceof Error)) return false;
  const err = e as Error & { code?: string; isCanceled?: boolean };
  return err.name === 'AbortError' || err.code === 'ABORT_ERR' || err.isCanceled === true;
}

export function interrupted(): CacError {
  return new CacError('ERR_INTERRUPTED', 'interrupted', { hint: 'the operation was cancelled (Ctrl-C)' });
}
