// scripts/test-summary.mjs over real vitest reports: test/fixtures/test-summary holds, per case, the
// JSON report, the unhandled-errors record and the exit status of a real vitest run of the probe files
// in test/fixtures/test-summary/probes (re-record them with test/fixtures/test-summary/record).
// Every kind of failure must count as failed and make the summary exit non-zero on its own.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/run-cli.js';

const SUMMARY = join(REPO_ROOT, 'scripts/test-summary.mjs');
const FIXTURES = join(REPO_ROOT, 'test/fixtures/test-summary');

function summary(args: string[], cwd = REPO_ROOT) {
  const r = spawnSync(process.execPath, [SUMMARY, ...args], { cwd, encoding: 'utf8' });
  const lines = r.stdout.trim().split('\n');
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, total: lines.at(-1) ?? '' };
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A results dir whose lanes are copies of recorded cases (lane name -> case name). */
function resultsDir(lanes: Record<string, string>, parts = ['json', 'errors.json', 'exit']): string {
  const dir = mkdtempSync(join(tmpdir(), 'cac-summary-'));
  dirs.push(dir);
  for (const [lane, recorded] of Object.entries(lanes)) {
    for (const part of parts) copyFileSync(join(FIXTURES, `${recorded}.${part}`), join(dir, `${lane}.${part}`));
  }
  return dir;
}

describe('test-summary counts every kind of failure from real vitest reports', () => {
  const cases: Array<[string, string, RegExp | undefined]> = [
    ['passing', '1 passed, 0 failed, 1 skipped', undefined],
    ['failing', '1 passed, 1 failed, 0 skipped', undefined],
    ['import-crash', '0 passed, 1 failed, 0 skipped', /import-crash\.probe\.mjs: failed outside its tests: boom on import/],
    // a throwing beforeAll: vitest reports the file failed and its two tests skipped, no failed test
    ['before-all', '0 passed, 1 failed, 2 skipped', /before-all\.probe\.mjs: failed outside its tests/],
    ['after-all', '1 passed, 1 failed, 0 skipped', /after-all\.probe\.mjs: failed outside its tests/],
    ['process-exit', '1 passed, 1 failed, 0 skipped', undefined],
    // a SIGKILLed worker: vitest's JSON says the file passed and success: true
    ['killed-worker', '0 passed, 2 failed, 0 skipped', /1 test\(s\) did not finish[\s\S]*unhandled error: .*Worker exited unexpectedly/],
    ['unhandled-rejection', '1 passed, 1 failed, 0 skipped', /unhandled error: Error: unhandled boom/],
    ['uncaught-exception', '1 passed, 1 failed, 0 skipped', /unhandled error: Error: uncaught boom/],
    ['no-test', '0 passed, 1 failed, 0 skipped', /No test suite found/],
    ['no-files', '0 passed, 1 failed, 0 skipped', /no-files: ran no test/],
    ['bail', '0 passed, 3 failed, 0 skipped', /the run was interrupted/],
    ['mixed', '4 passed, 3 failed, 1 skipped', /after-all\.probe\.mjs: failed outside[\s\S]*unhandled error: Error: unhandled boom/],
  ];
  it.each(cases)('%s', (name, total, detail) => {
    const r = summary(['--results', FIXTURES, name]);
    expect(r.total).toBe(total);
    expect(r.stdout).toContain(`${name}: ${total}\n`);
    if (detail) expect(r.stdout).toMatch(detail);
    expect(r.status).toBe(total.includes(' 0 failed') ? 0 : 1);
  });

  it('the recorded runs are the failures vitest itself saw: only the passing run exited 0', () => {
    for (const [name] of cases) {
      expect(readFileSync(join(FIXTURES, `${name}.exit`), 'utf8').trim(), name).toBe(name === 'passing' ? '0' : '1');
    }
  });

  it('adds the lanes up, one line per lane, the plain total last', () => {
    const dir = resultsDir({ unit: 'passing', integration: 'mixed', e2e: 'killed-worker' });
    const r = summary(['--results', dir, 'unit', 'integration', 'e2e']);
    expect(r.stdout).toContain('unit: 1 passed, 0 failed, 1 skipped\n');
    expect(r.stdout).toContain('integration: 4 passed, 3 failed, 1 skipped\n');
    expect(r.stdout).toContain('e2e: 0 passed, 2 failed, 0 skipped\n');
    expect(r.total).toBe('5 passed, 5 failed, 2 skipped');
    expect(r.status).toBe(1);
  });

  it('a lane without a report counts as failed', () => {
    const dir = resultsDir({ unit: 'passing' });
    const r = summary(['--results', dir, 'unit', 'e2e']);
    expect(r.stdout).toContain('e2e: no report');
    expect(r.total).toBe('1 passed, 1 failed, 1 skipped');
    expect(r.status).toBe(1);
  });

  it('a lane without its unhandled-errors record counts as failed', () => {
    const dir = resultsDir({ unit: 'passing' }, ['json', 'exit']);
    const r = summary(['--results', dir, 'unit']);
    expect(r.stdout).toContain('unit: no record of unhandled errors');
    expect(r.total).toBe('1 passed, 1 failed, 1 skipped');
    expect(r.status).toBe(1);
  });

  it('vitest exiting non-zero (or with no recorded status) over a clean report counts as failed', () => {
    const dir = resultsDir({ unit: 'passing', e2e: 'passing' }, ['json', 'errors.json']);
    writeFileSync(join(dir, 'unit.exit'), '1\n');
    const r = summary(['--results', dir, 'unit', 'e2e']);
    expect(r.stdout).toContain('unit: vitest exited 1 though its reports show no failure');
    expect(r.stdout).toContain('e2e: vitest exited unknown though its reports show no failure');
    expect(r.total).toBe('2 passed, 2 failed, 2 skipped');
    expect(r.status).toBe(1);
  });

  it.each([
    [[], 'name at least one lane'],
    [['unit', 'unit'], 'lane unit is named twice'],
    [['--results', FIXTURES, 'passing', 'failing', 'passing'], 'lane passing is named twice'],
    [['--frobnicate', 'unit'], 'unknown option --frobnicate'],
    [['--results'], '--results needs a directory'],
  ])('usage error (exit 2, nothing on stdout): %j', (args, problem) => {
    const r = summary(args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^test-summary: ${problem}\nusage: `));
    expect(r.stdout).toBe('');
  });
});

describe('scripts/test-lanes refuses bad lane lists before running anything', () => {
  it.each([
    [[], 'name at least one lane'],
    [['unit', 'e2e', 'unit'], 'lane unit is named twice'],
  ])('%j', (lanes, problem) => {
    // An npx that refuses to run: a test-lanes that went ahead would start vitest lanes (this one included).
    const bin = mkdtempSync(join(tmpdir(), 'cac-no-npx-'));
    dirs.push(bin);
    writeFileSync(join(bin, 'npx'), '#!/bin/sh\necho "npx was called: $*" >&2\nexit 97\n', { mode: 0o755 });
    const r = spawnSync(join(REPO_ROOT, 'scripts/test-lanes'), lanes, {
      encoding: 'utf8',
      env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` },
      timeout: 15_000,
    });
    expect(r.stderr).not.toContain('npx was called');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^test-lanes: ${problem}\\nusage: `));
    expect(r.stdout).toBe('');
  });
});
