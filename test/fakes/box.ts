// Plain box records for planner tests: a standby box of one pool unless told otherwise.
import { newBoxRecord, type Box } from '../../src/domain/box.js';

export const REPO = 'https://example.test/acme/app.git';
export const T0 = 1_700_000_000_000;

let seq = 0;

export function makeBox(overrides: Partial<Box> = {}): Box {
  seq += 1;
  const id = `box_${String(seq).padStart(12, '0')}`;
  const base = newBoxRecord({ repoUrl: REPO, baseBranch: 'main', deadlineAt: T0 + 900_000, now: T0 }, id, `key-${seq}`);
  return { ...base, state: 'standby', ...overrides };
}
