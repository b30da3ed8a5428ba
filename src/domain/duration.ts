// The one parser for durations ("90s", "10m", "8h") in flags, config and environment variables, through
// `ms`, the library the field uses. Every duration has a ceiling: Node turns a timer longer than
// 2^31−1 ms into a 1 ms one (and AbortSignal.timeout throws past 2^32−1), so a value that drives a
// timer must fit one; a value that is only stored or compared with timestamps (a lease, a grace
// period) may be longer, up to a bound that keeps `now + value` an exact integer.
import ms from 'ms';
import { CacError } from '../errors.js';

/** The longest delay a Node timer keeps (about 24.8 days). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export const DURATION_LIMITS = {
  /** Drives a timer (a wait, an interval, a per-call timeout). */
  timer: { ms: MAX_TIMER_MS, text: '24.8 days (the longest a timer can wait)' },
  /** Only stored or compared with timestamps. */
  stored: { ms: 10 * 365 * 86_400_000, text: '10 years' },
} as const;

export type DurationLimit = keyof typeof DURATION_LIMITS;

const DURATION_HINT = 'use a duration like "90s", "10m" or "8h"';

/** Milliseconds for a duration string, or undefined when it is not one (plain numbers are refused). */
export function parseDuration(text: string): number | undefined {
  if (!/^\s*\d+(\.\d+)?\s*[a-zA-Z]+\s*$/.test(text)) return undefined;
  const value = ms(text as ms.StringValue);
  if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
  const whole = Math.round(value);
  return whole > 0 ? whole : undefined;
}

/** Why `text` is not a duration within `limit`, or undefined when it is one. */
export function durationProblem(text: string, limit: DurationLimit): string | undefined {
  const value = parseDuration(text);
  if (value === undefined) return 'is not a duration';
  const max = DURATION_LIMITS[limit];
  if (value > max.ms) return `is longer than ${max.text}`;
  return undefined;
}

/**
 * Milliseconds for the duration `text` given as `field` (a flag, a config key, an environment variable);
 * ERR_INVALID_INPUT (exit 2) naming the field when it is not a duration or is longer than `limit` allows.
 */
export function durationMs(text: string, field: string, limit: DurationLimit = 'timer'): number {
  const problem = durationProblem(text, limit);
  if (problem) throw new CacError('ERR_INVALID_INPUT', `${field}: ${JSON.stringify(text)} ${problem}`, { hint: DURATION_HINT, details: { field } });
  return parseDuration(text) as number;
}

/** `delay` cut to what a timer can wait: a sum of long durations fires at that limit instead of at once. */
export function timerDelay(delay: number): number {
  return Math.min(Math.max(0, delay), MAX_TIMER_MS);
}

/** A duration for people: "45s", "12m", "3h" (ms's short form). */
export function durationText(value: number): string {
  return ms(Math.max(0, Math.round(value)));
}
