// Shared bench helpers: timed runs whose output is checked, medians and percentiles, tables, and the
// targets each bench is held to. A bench prints every target beside what it measured and exits 1 when
// one is missed; a run whose output is wrong throws (a fast wrong answer must never pass as fast).
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readInfraEnv } from '../test/helpers/infra.js';

export const ROOT = join(import.meta.dirname, '..');
export const BIN = join(ROOT, 'bin/cac');

/** Throws (the bench fails) unless `ok`: for checks that what was measured really happened. */
export function mustBe(ok: unknown, what: string): asserts ok {
  if (!ok) throw new Error(`bench check failed: ${what}`);
}

/** One run of a command: its wall time, and its stdout, which must exit 0. */
export function timeOnce(cmd: string, args: string[], opts: SpawnSyncOptions = {}): { ms: number; stdout: string } {
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', ...opts });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  mustBe(r.status === 0, `${cmd} ${args.join(' ')} exited ${String(r.status)}: ${String(r.stderr)}`);
  return { ms, stdout: String(r.stdout) };
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? NaN) : ((s[m - 1] ?? NaN) + (s[m] ?? NaN)) / 2;
}

/** The p-th percentile (0-100), nearest rank. */
export function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;
}

/** Runs each case `runs` times, interleaved, so machine noise hits all cases alike. */
export function interleave<T extends string>(cases: ReadonlyArray<{ name: T; run: () => number }>, runs: number): Record<T, number[]> {
  const times = Object.fromEntries(cases.map((c) => [c.name, [] as number[]])) as Record<T, number[]>;
  for (let i = 0; i < runs; i++) for (const c of cases) times[c.name].push(c.run());
  return times;
}

export function table(headers: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

export const fmtMs = (n: number): string => (Number.isNaN(n) ? '-' : n < 10 ? n.toFixed(2) : n.toFixed(0));

/** The package version `cac --version` must print. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

/** The endpoints of `scripts/infra up`; throws naming what is missing, so a bench never half-runs. */
export function requireInfra(...keys: string[]): Record<string, string> {
  const infra = readInfraEnv();
  const missing = keys.filter((k) => !infra[k]);
  mustBe(missing.length === 0, `${missing.join(', ')} not in .infra/env: run \`just infra-up\` first`);
  return infra;
}

type Compare = '≤' | '≥';
interface Verdict {
  what: string;
  measured: number;
  cmp: Compare;
  limit: number;
  unit: string;
  met: boolean;
}

/** A bench's targets: each check returns the cell to print ("1.12× (target ≤ 1.3×)"), `finish` the verdict. */
export class Targets {
  private readonly verdicts: Verdict[] = [];

  /** `onMissed` runs when `finish` finds a missed target; by default the bench process will exit 1. */
  constructor(
    private readonly bench: string,
    private readonly onMissed: () => void = () => void (process.exitCode = 1),
  ) {}

  check(what: string, measured: number, cmp: Compare, limit: number, unit: string): string {
    mustBe(Number.isFinite(measured), `${what}: measured ${measured}`);
    const met = cmp === '≤' ? measured <= limit : measured >= limit;
    this.verdicts.push({ what, measured, cmp, limit, unit, met });
    return `${show(measured, unit)} (target ${cmp} ${show(limit, unit)})${met ? '' : ' MISSED'}`;
  }

  /** Prints one line per target and the count met; a bench with a missed target (or none) fails. */
  finish(log: (line: string) => void = console.log): void {
    const missed = this.verdicts.filter((v) => !v.met);
    log('');
    for (const v of this.verdicts) log(`${v.met ? 'ok    ' : 'MISSED'} ${v.what}: ${show(v.measured, v.unit)}, target ${v.cmp} ${show(v.limit, v.unit)}`);
    log(`${this.bench}: ${this.verdicts.length - missed.length} of ${this.verdicts.length} targets met`);
    if (missed.length > 0 || this.verdicts.length === 0) this.onMissed();
  }
}

function show(n: number, unit: string): string {
  if (unit === '×') return `${n.toFixed(2)}×`;
  if (unit === 'ms') return `${fmtMs(n)} ms`;
  return `${Number.isInteger(n) ? n : n.toFixed(2)}${unit ? ` ${unit}` : ''}`;
}
