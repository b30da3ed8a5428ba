// Warm vs cold boxes on the docker driver (target ratio ≥ 20×), two ways, each alternated so machine noise
// hits both alike: `cac box request --wait` through the CLI (wall time of the whole process, with node and
// `cac --version` as baselines), and AllocatorService.requestBox in process (the seed API, store open).
// Every box must come back ready, warm or cold as asked, every step ok, and answer over SSH.
// Run: node scripts/build.mjs && node --import tsx bench/boxes.ts   (BENCH_RUNS=5; BENCH_INNER_DOCKER=0
// for plain SSH boxes). Needs the engine and image from `scripts/infra up`; removes its boxes by label.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { LocalHost } from '../src/adapters/host/local.js';
import { SqliteAgentBoxStore } from '../src/adapters/store/sqlite.js';
import { DockerVmDriver } from '../src/adapters/vm/docker.js';
import { sshLogin } from '../src/adapters/vm/ssh-probe.js';
import { ensureKeyPair } from '../src/app/ssh-key.js';
import { AllocatorService } from '../src/core/boxes/allocator.js';
import { boxSteps } from '../src/core/provision/vm-steps.js';
import { provisionBox } from '../src/core/provision/pipeline.js';
import { silentReporter } from '../src/ports/reporter.js';
import { mustBe, requireInfra, Targets } from './lib.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const BIN = resolve(import.meta.dirname, '../bin/cac');
const WARM_REPO = 'https://example.test/bench/warm.git';
const COLD_REPO = 'https://example.test/bench/cold.git';
const run = `bench-boxes-${process.pid}`;
const home = mkdtempSync(join(tmpdir(), 'cac-bench-boxes-'));
const infra = requireInfra('DOCKER_HOST', 'CAC_TEST_BOX_IMAGE');
const plain = process.env.BENCH_INNER_DOCKER === '0';
const env: Record<string, string> = {
  PATH: process.env.PATH ?? '',
  HOME: home,
  NO_COLOR: '1',
  XDG_CONFIG_HOME: join(home, 'config'),
  XDG_STATE_HOME: join(home, 'state'),
  CAC_TEST_RUN_LABEL: run,
  ...(infra.DOCKER_HOST ? { DOCKER_HOST: infra.DOCKER_HOST } : {}),
  ...(plain ? { CAC_BOX_INNER_DOCKER: '0' } : {}),
};
const stateDir = join(home, 'state', 'cac');

interface Box {
  id: string;
  state: string;
  sshTarget: unknown;
  steps: Array<{ name: string; durationMs: number; ok: boolean }>;
}

/** A box the bench may count: ready, reachable, every step ok. */
function checkReady(box: Box, how: string): void {
  mustBe(box.state === 'ready' && box.sshTarget, `${how}: box ${box.id} is ready with an SSH target (state ${box.state})`);
  const failed = box.steps.filter((st) => !st.ok).map((st) => st.name);
  mustBe(failed.length === 0, `${how}: every step of ${box.id} ok (failed: ${failed.join(', ')})`);
}
type Series = Record<string, number[]>;

function cac(args: string[]): Record<string, unknown> {
  const r = spawnSync(process.execPath, [BIN, ...args, '--json'], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cac ${args.join(' ')} exited ${String(r.status)}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

/** Wall time of one run of a command, which must succeed. */
function timed(cmd: string, args: string[]): number {
  const t = performance.now();
  const r = spawnSync(cmd, args, { env, stdio: 'ignore' });
  const ms = performance.now() - t;
  mustBe(r.status === 0, `${cmd} ${args.join(' ')} exited ${String(r.status)}`);
  return ms;
}

function cliRequest(repo: string, wantWarm: boolean): { ms: number; box: Box } {
  const t = performance.now();
  const doc = cac(['box', 'request', '--repo', repo, '--wait', '--timeout', '5m']);
  const ms = performance.now() - t;
  mustBe(doc.warm === wantWarm, `expected a ${wantWarm ? 'warm' : 'cold'} box, got ${JSON.stringify(doc.warm)}`);
  checkReady(doc.box as Box, `cac box request (${wantWarm ? 'warm' : 'cold'})`);
  return { ms, box: doc.box as Box };
}

async function library(series: Series, boxes: string[]): Promise<void> {
  const store = new SqliteAgentBoxStore(join(stateDir, 'boxes.db'));
  const driver = new DockerVmDriver({
    host: new LocalHost({ env }),
    dockerPath: 'docker',
    env: infra.DOCKER_HOST ? { DOCKER_HOST: infra.DOCKER_HOST } : {},
    image: infra.CAC_TEST_BOX_IMAGE ?? 'cac-test/box:bookworm',
    scope: { 'cac.test-run': run },
    innerDocker: !plain,
  });
  const keys = await ensureKeyPair(stateDir);
  const steps = boxSteps({ driver, sshPublicKey: keys.publicKey, login: (t, o) => sshLogin(t, keys.privateKey, o) });
  const deps = { store, driver, steps, now: Date.now, reporter: silentReporter };
  const alloc = new AllocatorService({ store, driver, pollMs: 10, startProvisioning: async (box) => void provisionBox(deps, box.id) });
  try {
    for (let i = 0; i < RUNS; i++) {
      let t = performance.now();
      const warm = await alloc.requestBox({ repoUrl: WARM_REPO, branch: 'main', requestedBy: 'bench' });
      (series['library warm'] ??= []).push(performance.now() - t);
      t = performance.now();
      const cold = await alloc.requestBox({ repoUrl: COLD_REPO, branch: 'main', requestedBy: 'bench' });
      const coldReady = await alloc.waitForBox(cold.box.id, { timeoutMs: 300_000 });
      (series['library cold'] ??= []).push(performance.now() - t);
      mustBe(warm.warm && !cold.warm, 'the library run got a warm and a cold box');
      checkReady(warm.box as Box, 'requestBox (warm)');
      checkReady(coldReady as Box, 'requestBox + waitForBox (cold)');
      boxes.push(warm.box.id, cold.box.id);
    }
  } finally {
    await store.close();
  }
}

const median = (xs: readonly number[] = []): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? NaN) : ((s[m - 1] ?? NaN) + (s[m] ?? NaN)) / 2;
};
const fmt = (n: number) => (n < 10 ? n.toFixed(2) : n.toFixed(0));
const row = (name: string, xs: readonly number[] = []) => `| ${name} | ${fmt(median(xs))} | ${fmt(Math.max(...xs))} |`;

async function main(): Promise<void> {
  mkdirSync(join(home, 'config', 'cac'), { recursive: true });
  writeFileSync(join(home, 'config', 'cac', 'config.toml'), `[boxes]\nprovision = "vm"\n\n[[pools]]\nrepo_url = "${WARM_REPO}"\nmin_standby = ${2 * RUNS}\nmax_instances = ${4 * RUNS}\n`);
  // fill the warm pool for both runs (a round creates at most 5 boxes); this also makes cac's key pair
  for (let round = 0; round < Math.ceil((2 * RUNS) / 5) + 1; round++) cac(['pool', 'reconcile']);
  const s: Series = {};
  const boxes: string[] = [];
  for (let i = 0; i < RUNS; i++) {
    (s.node ??= []).push(timed(process.execPath, ['-e', '0']));
    (s.version ??= []).push(timed(process.execPath, [BIN, '--version']));
    const warm = cliRequest(WARM_REPO, true);
    const cold = cliRequest(COLD_REPO, false);
    (s['cli warm'] ??= []).push(warm.ms);
    (s['cli cold'] ??= []).push(cold.ms);
    for (const step of cold.box.steps) (s[`step ${step.name}`] ??= []).push(step.durationMs);
    boxes.push(warm.box.id, cold.box.id);
  }
  await library(s, boxes);
  // the boxes are real: a warm and a cold one answer over SSH with the pinned host key
  for (const id of [boxes[0] ?? '', boxes[1] ?? '']) {
    const r = spawnSync(process.execPath, [BIN, 'box', 'ssh', id, '--', 'echo', 'ok'], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    mustBe(r.status === 0 && r.stdout === 'ok\n', `cac box ssh ${id} -- echo ok: exit ${String(r.status)}, ${r.stderr}`);
  }
  for (const id of boxes) cac(['box', 'release', id]);

  const kind = plain ? 'plain SSH boxes' : 'boxes with their inner Docker engine';
  console.log(`\nwarm vs cold boxes on the docker driver (${kind}), ${RUNS} runs each, alternated\n`);
  console.log(
    [
      '| case | median ms | max ms |',
      '| --- | --- | --- |',
      row('baseline: `node -e 0`', s.node),
      row('baseline: `cac --version`', s.version),
      row('`cac box request --wait`, warm (standby box claimed)', s['cli warm']),
      row('`cac box request --wait`, cold (box provisioned for the request)', s['cli cold']),
      ...Object.keys(s)
        .filter((k) => k.startsWith('step '))
        .map((k) => row(`  cold step ${k.slice(5)}`, s[k])),
      row('AllocatorService.requestBox in process, warm', s['library warm']),
      row('AllocatorService.requestBox + waitForBox in process, cold', s['library cold']),
    ].join('\n'),
  );
  const targets = new Targets('boxes');
  const ratio = (a: string, b: string, what: string) => targets.check(what, median(s[a]) / median(s[b]), '≥', 20, '×');
  // the CLI target is for boxes with their inner engine (the default): a plain SSH box is made so fast that
  // node starting cac dominates both requests
  const cli = plain ? `${(median(s['cli cold']) / median(s['cli warm'])).toFixed(2)}× (no target for plain SSH boxes)` : ratio('cli cold', 'cli warm', 'cold / warm `cac box request --wait`, median');
  console.log(`\nwarm-to-cold ratio: CLI ${cli}, in process ${ratio('library cold', 'library warm', 'cold / warm requestBox in process, median')}`);
  targets.finish();
}

try {
  await main();
} finally {
  const ids = execFileSync('docker', ['ps', '-aq', '--filter', `label=cac.test-run=${run}`], { env, encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);
  if (ids.length) execFileSync('docker', ['rm', '-f', '-v', ...ids], { env });
  rmSync(home, { recursive: true, force: true });
}
