// `cac up` against the raw reference CLI on the same workspace: warm (container running) as a ratio,
// cold (image fixture, container removed before each run) as cac's overhead in ms. Every run's JSON is
// checked: success, the container expected (warm: the same one for both; cold: a new one each time).
// Targets: warm ratio ≤ 1.1×, cold overhead ≤ 150 ms. Run: node --import tsx bench/lifecycle.ts
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, interleave, median, mustBe, requireInfra, ROOT, table, Targets, timeOnce } from './lib.js';

const infra = requireInfra('DOCKER_HOST', 'CAC_TEST_BASE_IMAGE');
const scratch = mkdtempSync(join(tmpdir(), 'cac-bench-lifecycle-'));
const env = { ...process.env, DOCKER_HOST: infra.DOCKER_HOST, XDG_STATE_HOME: join(scratch, 'state'), XDG_CONFIG_HOME: join(scratch, 'config') };
const ws = join(scratch, 'ws');
mkdirSync(join(ws, '.devcontainer'), { recursive: true });
const configFile = join(ws, '.devcontainer/devcontainer.json');
writeFileSync(configFile, JSON.stringify({ image: infra.CAC_TEST_BASE_IMAGE, runArgs: ['--label', 'cac.test-run=bench'] }));

const node = process.execPath;
const dc = join(ROOT, 'node_modules/@devcontainers/cli/devcontainer.js');
const labels = ['cac.managed=true', `devcontainer.local_folder=${ws}`, `devcontainer.config_file=${configFile}`].flatMap((l) => ['--id-label', l]);

interface Up {
  ms: number;
  containerId: string;
  action?: string;
}
function cacUp(): Up {
  const r = timeOnce(node, [BIN, 'up', ws, '--json'], { env });
  const doc = JSON.parse(r.stdout) as { outcome?: string; action?: string; containerId?: string | null };
  mustBe(doc.outcome === 'success' && typeof doc.containerId === 'string', `cac up --json: ${r.stdout}`);
  return { ms: r.ms, containerId: doc.containerId, ...(doc.action ? { action: doc.action } : {}) };
}
function rawUp(): Up {
  const r = timeOnce(node, [dc, 'up', '--workspace-folder', ws, '--config', configFile, '--log-format', 'json', ...labels], { env });
  const last = r.stdout.trim().split('\n').at(-1) ?? '';
  const doc = JSON.parse(last) as { outcome?: string; containerId?: string };
  mustBe(doc.outcome === 'success' && typeof doc.containerId === 'string', `devcontainer up: ${last}`);
  return { ms: r.ms, containerId: doc.containerId };
}
function containers(): string[] {
  return spawnSync('docker', ['ps', '-aq', '--no-trunc', '--filter', `label=devcontainer.local_folder=${ws}`], { env, encoding: 'utf8' })
    .stdout.split('\n')
    .filter(Boolean);
}
function cleanup(): void {
  const ids = containers();
  if (ids.length) spawnSync('docker', ['rm', '-f', '-v', ...ids], { env });
}
function removeContainer(): void {
  cleanup();
  mustBe(containers().length === 0, 'the workspace container is removed before a cold run');
}

const runs = Number(process.env.BENCH_RUNS ?? 5);
try {
  removeContainer();
  const first = cacUp();
  mustBe(first.action === 'created', `the first cac up creates the container (got ${first.action})`);
  // warm: both find the running container cac made
  const warmUp = (up: () => Up) => () => {
    const r = up();
    mustBe(r.containerId === first.containerId, `a warm up reuses ${first.containerId.slice(0, 12)}, got ${r.containerId.slice(0, 12)}`);
    return r.ms;
  };
  const warm = interleave(
    [
      { name: 'cac up', run: warmUp(cacUp) },
      { name: 'devcontainer up', run: warmUp(rawUp) },
    ],
    runs,
  );
  // cold: each run makes a new container
  const seen = new Set([first.containerId]);
  const coldUp = (up: () => Up) => () => {
    removeContainer();
    const r = up();
    mustBe(!seen.has(r.containerId) && containers().includes(r.containerId), `a cold up creates a new container, got ${r.containerId.slice(0, 12)}`);
    seen.add(r.containerId);
    return r.ms;
  };
  const cold = interleave(
    [
      { name: 'cac up', run: coldUp(cacUp) },
      { name: 'devcontainer up', run: coldUp(rawUp) },
    ],
    runs,
  );

  const w = { cac: median(warm['cac up']), raw: median(warm['devcontainer up']) };
  const c = { cac: median(cold['cac up']), raw: median(cold['devcontainer up']) };
  const targets = new Targets('lifecycle');
  console.log(`\nlifecycle, median of ${runs} interleaved runs each\n`);
  console.log(
    table(
      ['case', 'cac up ms', 'devcontainer up ms', 'result'],
      [
        ['warm (container running)', w.cac.toFixed(0), w.raw.toFixed(0), targets.check('warm cac up / devcontainer up', w.cac / w.raw, '≤', 1.1, '×')],
        ['cold (image fixture)', c.cac.toFixed(0), c.raw.toFixed(0), targets.check('cold cac up overhead over devcontainer up', c.cac - c.raw, '≤', 150, 'ms')],
      ],
    ),
  );
  targets.finish();
} finally {
  cleanup();
  rmSync(scratch, { recursive: true, force: true });
}
