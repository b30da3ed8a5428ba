// bench/lib.ts: a bench prints each target beside what it measured and fails when one is missed or
// when what it measured was not real. (No timing here: the values are given.)
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { mustBe, Targets } from '../../bench/lib.js';
import { REPO_ROOT } from '../helpers/run-cli.js';

function run(targets: (t: Targets) => string[]) {
  let failed = 0;
  const t = new Targets('demo', () => void (failed += 1));
  const cells = targets(t);
  const lines: string[] = [];
  t.finish((l) => lines.push(l));
  return { cells, lines, failed };
}

describe('bench targets', () => {
  it('prints the target beside each value and passes when every target is met', () => {
    const r = run((t) => [t.check('ratio', 1.12, '≤', 1.3, '×'), t.check('latency', 350, '≤', 400, 'ms'), t.check('speed-up', 25, '≥', 20, '×'), t.check('round trips', 1, '≤', 3, '')]);
    expect(r.cells).toEqual(['1.12× (target ≤ 1.30×)', '350 ms (target ≤ 400 ms)', '25.00× (target ≥ 20.00×)', '1 (target ≤ 3)']);
    expect(r.lines.at(-1)).toBe('demo: 4 of 4 targets met');
    expect(r.failed).toBe(0);
  });

  it('fails the bench when a ratio misses its target, either way round', () => {
    const r = run((t) => [t.check('ratio', 1.31, '≤', 1.3, '×'), t.check('speed-up', 19.9, '≥', 20, '×')]);
    expect(r.cells).toEqual(['1.31× (target ≤ 1.30×) MISSED', '19.90× (target ≥ 20.00×) MISSED']);
    expect(r.lines).toContain('MISSED ratio: 1.31×, target ≤ 1.30×');
    expect(r.lines.at(-1)).toBe('demo: 0 of 2 targets met');
    expect(r.failed).toBe(1);
  });

  it('fails a bench that checked no target, and refuses a value that is not a number', () => {
    expect(run(() => []).failed).toBe(1);
    expect(() => new Targets('demo', () => undefined).check('ratio', NaN, '≤', 1, '×')).toThrow(/ratio: measured NaN/);
  });

  it('mustBe throws on what was not real', () => {
    expect(() => mustBe(false, 'every claim returned a box')).toThrow('bench check failed: every claim returned a box');
    expect(() => mustBe(true, 'x')).not.toThrow();
  });

  it('a bench process that missed a target exits 1, one that met them exits 0', () => {
    const bench = (value: number) =>
      spawnSync(
        process.execPath,
        ['--import', 'tsx', '--input-type=module', '-e', `import { Targets } from './bench/lib.ts'; const t = new Targets('demo'); t.check('ratio', ${value}, '≤', 1.3, '×'); t.finish();`],
        { cwd: REPO_ROOT, encoding: 'utf8' },
      );
    const missed = bench(1.5);
    expect(missed.stdout).toContain('MISSED ratio: 1.50×');
    expect(missed.status).toBe(1);
    expect(bench(1.2).status).toBe(0);
  });
});
