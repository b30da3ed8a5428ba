// `cac up` against the raw reference CLI on the same workspace: warm (container running) as a ratio,
// cold (image fixture, container removed before each run) as cac's overhead in ms.
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { interleave, median, table, timeOnce } from './lib.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const infra = Object.fromEntries(
  readFileSync(join(root, '.infra/env'), 'utf8').split('\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
);
const env = { ...process.env, DOCKER_HOST: infra.DOCKER_HOST, XDG_STATE_HOME: mkdtempSync(join(tmpdir(), 'cac-bench-state-')), XDG_CONFIG_HOME: mkdtempSync(join(tmpdir(), 'cac-bench-cfg-')) };
const ws = mkdtempSync(join(tmpdir(), 'cac-bench-ws-'));
mkdirSync(join(ws, '.devcontainer'));
const configFile = join(ws, '.devcontainer/devcontainer.json');
writeFileSync(configFile, JSON.stringify({ image: infra.CAC_TEST_BASE_IMAGE, runArgs: ['--label', 'cac.test-run=bench'] }));

const node = process.execPath;
const bin = join(root, 'bin/cac');
const dc = join(root, 'node_modules/@devcontainers/cli/devcontainer.js');
const labels = ['cac.managed=true', `devcontainer.local_folder=${ws}`, `devcontainer.config_file=${configFile}`].flatMap((l) => ['--id-label', l]);
const cacUp = () => timeOnce(node, [bin, 'up', ws, '--json'], { env }).ms;
const rawUp = () => timeOnce(node, [dc, 'up', '--workspace-folder', ws, '--config', configFile, '--log-format', 'json', ...labels], { env }).ms;
const removeContainer = () => {
  const ids = spawnSync('docker', ['ps', '-aq', '--filter', `label=devcontainer.local_folder=${ws}`], { env, encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  if (ids.length) spawnSync('docker', ['rm', '-f', '-v', ...ids], { env });
};

const runs = Number(process.env.BENCH_RUNS ?? 5);
removeContainer();
cacUp();
const warm = interleave([{ name: 'cac up', run: cacUp }, { name: 'devcontainer up', run: rawUp }], runs);
const cold = interleave(
  [
    { name: 'cac up', run: () => (removeContainer(), cacUp()) },
    { name: 'devcontainer up', run: () => (removeContainer(), rawUp()) },
  ],
  runs,
);
removeContainer();

const w = { cac: median(warm['cac up']), raw: median(warm['devcontainer up']) };
const c = { cac: median(cold['cac up']), raw: median(cold['devcontainer up']) };
console.log(`\nlifecycle, median of ${runs} interleaved runs each (targets: warm ratio ≤ 1.1×, cold overhead ≤ 150 ms)\n`);
console.log(
  table(
    ['case', 'cac up ms', 'devcontainer up ms', 'result'],
    [
      ['warm (container running)', w.cac.toFixed(0), w.raw.toFixed(0), `${(w.cac / w.raw).toFixed(2)}×`],
      ['cold (image fixture)', c.cac.toFixed(0), c.raw.toFixed(0), `+${(c.cac - c.raw).toFixed(0)} ms`],
    ],
  ),
);
