// The one duration parser: every flag, config key and environment variable goes through it, and no
// value may become a timer Node cannot keep (past 2^31−1 ms it fires after 1 ms).
import { describe, expect, it } from 'vitest';
import { DURATION_LIMITS, durationMs, MAX_TIMER_MS, parseDuration, timerDelay } from '../../src/util/duration.js';
import { isCacError } from '../../src/errors.js';

function refusal(fn: () => unknown): { code: string; exitCode: number; message: string; field: unknown } {
  try {
    fn();
  } catch (e) {
    if (!isCacError(e)) throw e;
    return { code: e.code, exitCode: e.exitCode, message: e.message, field: e.details?.field };
  }
  throw new Error('expected an error');
}

describe('durations', () => {
  it('parses "90s", "10m", "8h", "1.5h"; refuses plain numbers, zero and words', () => {
    expect(['90s', '10m', '8h', '1.5h', '2d'].map(parseDuration)).toEqual([90_000, 600_000, 28_800_000, 5_400_000, 172_800_000]);
    expect(['90', '0s', 'soon', '', '-5m', '1e3d'].map(parseDuration)).toEqual([undefined, undefined, undefined, undefined, undefined, undefined]);
  });

  it('a timer duration fits a Node timer: 24d passes, 25d and 30d are exit 2 naming the field', () => {
    expect(durationMs('24d', '--timeout')).toBe(24 * 86_400_000);
    expect(24 * 86_400_000).toBeLessThanOrEqual(MAX_TIMER_MS);
    for (const text of ['25d', '30d', '1y']) {
      expect(refusal(() => durationMs(text, '--timeout'))).toEqual({
        code: 'ERR_INVALID_INPUT',
        exitCode: 2,
        message: `--timeout: "${text}" is longer than 24.8 days (the longest a timer can wait)`,
        field: '--timeout',
      });
    }
    expect(refusal(() => durationMs('soon', 'boxes.command.timeout')).message).toBe('boxes.command.timeout: "soon" is not a duration');
  });

  it('a stored duration (a lease) may be long, up to 10 years', () => {
    expect(durationMs('30d', 'boxes.lease_ttl', 'stored')).toBe(30 * 86_400_000);
    expect(durationMs('9y', 'boxes.lease_ttl', 'stored')).toBeLessThanOrEqual(DURATION_LIMITS.stored.ms);
    expect(refusal(() => durationMs('11y', 'boxes.lease_ttl', 'stored')).message).toBe('boxes.lease_ttl: "11y" is longer than 10 years');
  });

  it('timerDelay cuts a sum of long durations to what a timer keeps', () => {
    expect(timerDelay(-5)).toBe(0);
    expect(timerDelay(1000)).toBe(1000);
    expect(timerDelay(40 * 86_400_000)).toBe(MAX_TIMER_MS);
  });
});
