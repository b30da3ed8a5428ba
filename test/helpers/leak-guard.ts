// The secret-leak guard: fails the test when a canary value reaches any output string or any file
// under the given dirs (state dirs, logs, homes), naming every place it was found.
import { readdirSync, readFileSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';

export interface LeakPlaces {
  /** Strings to scan: stdout, stderr, log text. */
  outputs?: string[];
  /** Directories scanned recursively (symlinks are not followed). */
  dirs?: string[];
}

/** Assert that no canary appears anywhere in `places`. Canaries shorter than 8 chars are refused. */
export function expectNoLeak(canaries: string[], places: LeakPlaces): void {
  for (const c of canaries) expect(c.length, 'a canary must be at least 8 characters to be meaningful').toBeGreaterThanOrEqual(8);
  const found: string[] = [];
  (places.outputs ?? []).forEach((text, i) => {
    for (const c of canaries) if (text.includes(c)) found.push(`output #${i}`);
  });
  for (const dir of places.dirs ?? []) {
    for (const file of filesUnder(dir)) {
      const bytes = readFileSync(file);
      for (const c of canaries) if (bytes.includes(c)) found.push(file);
    }
  }
  expect(found, `a canary leaked into: ${found.join(', ')}`).toEqual([]);
}

function filesUnder(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    const path = join(dir, name);
    const st = lstatSync(path);
    if (st.isDirectory()) return filesUnder(path);
    return st.isFile() ? [path] : [];
  });
}
