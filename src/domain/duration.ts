// Durations in flags and config ("90s", "10m", "8h") through `ms`, the library the field uses.
import ms from 'ms';

/** Milliseconds for a duration string, or undefined when it is not one (plain numbers are refused). */
export function parseDuration(text: string): number | undefined {
  if (!/^\s*\d+(\.\d+)?\s*[a-zA-Z]+\s*$/.test(text)) return undefined;
  const value = ms(text as ms.StringValue);
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
}
