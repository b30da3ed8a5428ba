// cac start-up: `cac --version` and `cac --help` against bare `node -e 0`, medians over 25 interleaved runs.
import { fileURLToPath } from 'node:url';
import { interleave, median, table, timeOnce } from './lib.mjs';

const bin = fileURLToPath(new URL('../bin/cac', import.meta.url));
const runs = Number(process.env.BENCH_RUNS ?? 25);
const node = process.execPath;
const cases = [
  { name: 'node -e 0', run: () => timeOnce(node, ['-e', '0']).ms },
  { name: 'cac --version', run: () => timeOnce(node, [bin, '--version']).ms },
  { name: 'cac --help', run: () => timeOnce(node, [bin, '--help']).ms },
];
timeOnce(node, [bin, '--version']); // warm the file cache
const times = interleave(cases, runs);
const base = median(times['node -e 0']);
console.log(`\nstart-up, median of ${runs} interleaved runs (target: --version ≤ 1.3× bare node)\n`);
console.log(
  table(
    ['command', 'median ms', 'ratio to node'],
    cases.map((c) => [c.name, median(times[c.name]).toFixed(1), `${(median(times[c.name]) / base).toFixed(2)}×`]),
  ),
);
