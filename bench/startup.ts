// cac start-up: `cac --version` and `cac --help` against bare `node -e 0`, medians over 25 interleaved
// runs (BENCH_RUNS). Every run's output is checked. Target: --version ≤ 1.3× bare node.
// Run: node --import tsx bench/startup.ts   (after `just build`)
import { BIN, interleave, median, mustBe, packageVersion, table, Targets, timeOnce } from './lib.js';

const runs = Number(process.env.BENCH_RUNS ?? 25);
const node = process.execPath;
const version = `${packageVersion()}\n`;
const checked = (args: string[], ok: (stdout: string) => boolean, what: string) => () => {
  const r = timeOnce(node, args);
  mustBe(ok(r.stdout), `${what}, got ${JSON.stringify(r.stdout.slice(0, 200))}`);
  return r.ms;
};
const cases = [
  { name: 'node -e 0', run: checked(['-e', '0'], (out) => out === '', 'node -e 0 prints nothing') },
  { name: 'cac --version', run: checked([BIN, '--version'], (out) => out === version, `cac --version prints ${version.trim()}`) },
  { name: 'cac --help', run: checked([BIN, '--help'], (out) => /^Usage: cac /m.test(out) && out.includes('box'), 'cac --help prints the usage with its commands') },
] as const;
cases[2].run(); // warm the file cache (and fail early on a broken build)
const times = interleave(cases, runs);
const base = median(times['node -e 0']);
const targets = new Targets('startup');
console.log(`\nstart-up, median of ${runs} interleaved runs\n`);
console.log(
  table(
    ['command', 'median ms', 'ratio to node'],
    [
      ['node -e 0', base.toFixed(1), '1.00×'],
      ['cac --version', median(times['cac --version']).toFixed(1), targets.check('cac --version / node -e 0', median(times['cac --version']) / base, '≤', 1.3, '×')],
      ['cac --help', median(times['cac --help']).toFixed(1), `${(median(times['cac --help']) / base).toFixed(2)}×`],
    ],
  ),
);
targets.finish();
