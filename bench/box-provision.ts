// Remote boxes ready to work, on the docker driver with the box image's inner engine: a cold box to
// ready by step (vm_create, ssh_ready, repo, devcontainer, agents, env), before and after `cac pool
// prepare` (targets: devcontainer step ≤ 8 s and the cold box ≤ 15 s p50 once the pool is prepared; each
// such box must have started from the prepared images); a warm claim + .env to ready
// (target p50 ≤ 1 s, the agent-sandbox load-test figure), through `cac box request` and in process
// through the library (SshProvisioner + AllocatorService); the warm-to-cold ratio (target ≥ 20×); and a
// base-branch box switched to another branch vs cold. The repo is a file:// repo with two branches and
// a .devcontainer on cac-test/base:bookworm (preloaded); agents: codex from a temp host home.
// Every box must come back ready with every step ok (a cold box all six), warm or cold as asked; the .env
// and the switched branch are checked inside the boxes' dev containers afterwards.
// Run: node scripts/build.mjs --no-types && node --import tsx bench/box-provision.ts   (BENCH_RUNS=3)
// Needs the engine and images from `scripts/infra up`; removes its boxes by label.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  AllocatorService,
  BoxConnections,
  DevcontainerCliEngine,
  DockerImageSource,
  DockerVmDriver,
  EncryptionService,
  EnvInjector,
  LocalGitSource,
  LocalHost,
  SqliteAgentBoxStore,
  SshHost,
  SshProvisioner,
  devcontainerCli,
  ensureKeyPair,
  parseKeys,
  silentReporter,
} from '../src/index.js';
import { makeBoxRepo } from '../test/helpers/box-repo.js';
import { mustBe, requireInfra, Targets } from './lib.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const BIN = resolve(import.meta.dirname, '../bin/cac');
const run = `bench-provision-${process.pid}`;
const home = mkdtempSync(join(tmpdir(), 'cac-bench-provision-'));
const repo = join(home, 'app');
const REPO = `file://${repo}`;
const infra = requireInfra('DOCKER_HOST', 'CAC_TEST_BOX_IMAGE');
const MASTER_KEY = randomBytes(32).toString('base64');
const API_TOKEN = `bench-${randomBytes(8).toString('hex')}`;
const COLD_STEPS = ['vm_create', 'ssh_ready', 'repo', 'devcontainer', 'agents', 'env'];
const env: Record<string, string> = {
  PATH: process.env.PATH ?? '',
  HOME: home,
  NO_COLOR: '1',
  XDG_CONFIG_HOME: join(home, 'config'),
  XDG_STATE_HOME: join(home, 'state'),
  CAC_TEST_RUN_LABEL: run,
  CAC_MASTER_KEY: MASTER_KEY,
  ...(infra.DOCKER_HOST ? { DOCKER_HOST: infra.DOCKER_HOST } : {}),
};
const stateDir = join(home, 'state', 'cac');
const envFile = join(home, 'app.env.cac');

interface Box {
  id: string;
  vmRef: string;
  state: string;
  steps: Array<{ name: string; durationMs: number; ok: boolean }>;
}

/** A box the bench may count: ready, every step ok, and the steps `must` among them. */
function checkReady(box: Box, how: string, must: string[]): void {
  mustBe(box.state === 'ready', `${how}: box ${box.id} is ready (state ${box.state})`);
  const failed = box.steps.filter((st) => !st.ok).map((st) => st.name);
  mustBe(failed.length === 0, `${how}: every step of ${box.id} ok (failed: ${failed.join(', ')})`);
  const missing = must.filter((n) => !box.steps.some((st) => st.name === n));
  mustBe(missing.length === 0, `${how}: box ${box.id} ran ${must.join(', ')} (missing: ${missing.join(', ')})`);
}

interface PrepareReport {
  action: string;
  configHash: string;
}

/** The prepared-state marker in a box's inner engine, read through the engine (outside cac). */
function preparedMarker(vmRef: string): { configHash?: string } | undefined {
  const r = spawnSync('docker', ['exec', '-u', 'cac', vmRef, 'sudo', '-n', 'cat', '/var/lib/docker/cac-prepared.json'], { env, encoding: 'utf8' });
  return r.status === 0 ? (JSON.parse(r.stdout) as { configHash?: string }) : undefined;
}

/** `cac box exec <id> -- <cmd>`'s stdout, which must exit 0. */
function boxExec(id: string, cmd: string[]): string {
  const r = spawnSync(process.execPath, [BIN, 'box', 'exec', id, '--', ...cmd], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  mustBe(r.status === 0, `cac box exec ${id} -- ${cmd.join(' ')}: exit ${String(r.status)}, ${r.stderr}`);
  return r.stdout;
}
type Series = Record<string, number[]>;

function cac(args: string[], input?: string): Record<string, unknown> {
  const r = spawnSync(process.execPath, [BIN, ...args, '--json'], { env, encoding: 'utf8', ...(input !== undefined ? { input } : {}) });
  if (r.status !== 0) throw new Error(`cac ${args.join(' ')} exited ${String(r.status)}: ${r.stdout}${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

function setup(): void {
  makeBoxRepo(repo);
  mkdirSync(join(home, '.codex'), { recursive: true });
  writeFileSync(join(home, '.codex/auth.json'), '{"OPENAI_API_KEY":"sk-bench"}\n', { mode: 0o600 });
  mkdirSync(join(home, 'config', 'cac'), { recursive: true });
  // the pool keeps 3 boxes per run: a warm claim through the CLI, a switched one, one in process
  writeFileSync(
    join(home, 'config', 'cac', 'config.toml'),
    `[agents]\nenabled = true\n\n[agents.codex]\nenabled = true\ninstall = false\n\n[boxes]\npreload_images = ["cac-test/base:bookworm"]\n\n` +
      `[[pools]]\nrepo_url = "${REPO}"\nbase_branch = "main"\nmin_standby = ${3 * RUNS}\nmax_instances = ${5 * RUNS}\n`,
  );
  cac(['env', 'encrypt', '--out', envFile], `API_TOKEN=${API_TOKEN}\n`);
}

function cliRequest(args: string[], wantWarm: boolean, must: string[]): { ms: number; box: Box } {
  const t = performance.now();
  const doc = cac(['box', 'request', '--repo', REPO, '--env-file', envFile, ...args]);
  const ms = performance.now() - t;
  mustBe(doc.warm === wantWarm, `expected a ${wantWarm ? 'warm' : 'cold'} box, got ${JSON.stringify(doc.warm)}`);
  checkReady(doc.box as Box, `cac box request ${args.join(' ')}`, must);
  return { ms, box: doc.box as Box };
}

/** The seed API in process: AllocatorService with the SshProvisioner's after-claim steps (switch, env). */
async function libraryWarm(series: Series, boxes: string[]): Promise<void> {
  const store = new SqliteAgentBoxStore(join(stateDir, 'boxes.db'));
  const local = new LocalHost({ env });
  const keys = await ensureKeyPair(stateDir);
  const dockerEnv: Record<string, string> = infra.DOCKER_HOST ? { DOCKER_HOST: infra.DOCKER_HOST } : {};
  const provisioner = new SshProvisioner({
    connections: new BoxConnections(async (t) => new SshHost({ ...t, privateKey: Buffer.from(keys.privateKey) })),
    source: new LocalGitSource({ host: local, mirrorsDir: join(stateDir, 'mirrors') }),
    images: new DockerImageSource({ host: local, dockerPath: 'docker', env }),
    cliVersion: devcontainerCli().version,
    engine: (host, cli) => new DevcontainerCliEngine({ host, cli: [cli], dockerPath: 'docker', env: {}, logDir: join(stateDir, 'logs') }),
    env: new EnvInjector(new EncryptionService(parseKeys([MASTER_KEY], () => 'the bench key'))),
    reporter: silentReporter,
    now: Date.now,
  });
  const driver = new DockerVmDriver({ host: local, dockerPath: 'docker', env: dockerEnv, image: infra.CAC_TEST_BOX_IMAGE ?? 'cac-test/box:bookworm', scope: { 'cac.test-run': run } });
  const pools = [{ repoUrl: REPO, baseBranch: 'main', minStandby: 0, maxInstances: 100 }];
  const alloc = new AllocatorService({ store, driver, pools, afterClaim: provisioner.afterClaim(), startProvisioning: async () => Promise.reject(new Error('the bench wants warm boxes only')) });
  const envelope = readFileSync(envFile, 'utf8').trim();
  try {
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      const grant = await alloc.requestBox({ repoUrl: REPO, requestedBy: 'bench', envPayload: envelope });
      (series['library warm'] ??= []).push(performance.now() - t);
      mustBe(grant.warm, 'the library run got a warm box');
      checkReady(grant.box as Box, 'requestBox in process (warm)', ['env']);
      await provisioner.settle(grant.box.id);
      boxes.push(grant.box.id);
    }
  } finally {
    await provisioner.close();
    await store.close();
  }
}

const pct = (xs: readonly number[] = [], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;
};
const fmt = (n: number) => (Number.isNaN(n) ? '-' : n < 10 ? n.toFixed(2) : n.toFixed(0));
const row = (name: string, xs: readonly number[] = []) => `| ${name} | ${xs.length} | ${fmt(pct(xs, 50))} | ${fmt(pct(xs, 90))} | ${fmt(Math.max(...xs))} |`;

async function main(): Promise<void> {
  setup();
  const s: Series = {};
  const boxes: string[] = [];
  // cold first, while the pool is still empty: each box provisioned for its request; before, then after `pool prepare`
  let prepared: PrepareReport = { action: '', configHash: '' };
  const coldRuns = (key: string) => {
    for (let i = 0; i < RUNS; i++) {
      const cold = cliRequest(['--wait', '--timeout', '10m'], false, COLD_STEPS);
      (s[key] ??= []).push(cold.ms);
      for (const step of cold.box.steps) (s[`${key} step ${step.name}`] ??= []).push(step.durationMs);
      if (key === 'cli cold prepared') mustBe(preparedMarker(cold.box.vmRef)?.configHash === prepared.configHash, `box ${cold.box.id}'s inner engine started from the prepared images`);
      cac(['box', 'release', cold.box.id]);
    }
  };
  coldRuns('cli cold');
  const tp = performance.now();
  prepared = (cac(['pool', 'prepare']).pools as PrepareReport[])[0] ?? prepared;
  const prepareMs = performance.now() - tp;
  mustBe(prepared.action === 'prepared' && /^[0-9a-f]{16}$/.test(prepared.configHash), `pool prepare prepared the pool (${JSON.stringify(prepared)})`);
  coldRuns('cli cold prepared');
  const t = performance.now();
  for (let round = 0; round < Math.ceil((3 * RUNS) / 5) + 1; round++) cac(['pool', 'reconcile']);
  const fillMs = performance.now() - t;
  for (let i = 0; i < RUNS; i++) {
    (s.version ??= []).push(timed(process.execPath, [BIN, '--version']));
    const warm = cliRequest([], true, ['env']);
    (s['cli warm'] ??= []).push(warm.ms);
    (s['step env (warm)'] ??= []).push(warm.box.steps.find((x) => x.name === 'env')?.durationMs ?? NaN);
    const switched = cliRequest(['--branch', 'feature'], true, ['switch', 'env']);
    (s['cli switched'] ??= []).push(switched.ms);
    (s['step switch'] ??= []).push(switched.box.steps.find((x) => x.name === 'switch')?.durationMs ?? NaN);
    boxes.push(warm.box.id, switched.box.id);
  }
  await libraryWarm(s, boxes);
  // inside the dev containers: the warm box has the requester's .env, the switched one the feature branch
  const [warmId = '', switchedId = ''] = boxes;
  mustBe(boxExec(warmId, ['cat', '.env']).includes(`API_TOKEN=${API_TOKEN}`), `box ${warmId}'s checkout has the .env`);
  mustBe(boxExec(switchedId, ['cat', 'feature.txt']) === 'on feature\n', `box ${switchedId} is on branch feature`);
  for (const id of boxes) cac(['box', 'release', id]);

  console.log(`\ncold box per step, before and after \`cac pool prepare\` (${(prepareMs / 1000).toFixed(0)} s, once per devcontainer config), p50 ms, ${RUNS} runs each\n`);
  console.log(
    [
      '| step | before | after | after / before |',
      '| --- | --- | --- | --- |',
      ...[...COLD_STEPS, 'total'].map((n) => {
        const [b, a] = n === 'total' ? [pct(s['cli cold'], 50), pct(s['cli cold prepared'], 50)] : [pct(s[`cli cold step ${n}`], 50), pct(s[`cli cold prepared step ${n}`], 50)];
        return `| ${n} | ${fmt(b)} | ${fmt(a)} | ${(a / b).toFixed(2)}× |`;
      }),
    ].join('\n'),
  );
  console.log(`\nremote boxes ready to work (docker driver, inner engine, devcontainer on the box, codex injected, .env), ${RUNS} runs each\n`);
  const cold = COLD_STEPS.map((n) => row(`  cold step ${n}`, s[`cli cold step ${n}`]));
  console.log(
    [
      '| case | n | p50 ms | p90 ms | max ms |',
      '| --- | --- | --- | --- | --- |',
      row('`cac box request --env-file --wait`, cold (provisioned for the request)', s['cli cold']),
      ...cold,
      row('`cac box request --env-file`, warm: claim + .env to ready', s['cli warm']),
      row('  warm step env', s['step env (warm)']),
      row('AllocatorService.requestBox + .env in process, warm', s['library warm']),
      row('`cac box request --branch feature --env-file`, warm base-branch box switched', s['cli switched']),
      row('  switch step (fetch + checkout, same devcontainer config)', s['step switch']),
      row('baseline: `cac --version`', s.version),
    ].join('\n'),
  );
  const targets = new Targets('box-provision');
  const p50 = (k: string) => pct(s[k], 50);
  const warmTarget = (k: string, how: string) => targets.check(`warm claim + .env to ready, ${how}, p50`, p50(k), '≤', 1000, 'ms');
  const ratio = (a: string, b: string, how: string) => targets.check(`cold / warm to ready, ${how}, p50`, p50(a) / p50(b), '≥', 20, '×');
  console.log(`\nwarm claim + .env p50: CLI ${warmTarget('cli warm', 'CLI')}, in process ${warmTarget('library warm', 'in process')}`);
  console.log(`warm-to-cold ratio: CLI ${ratio('cli cold', 'cli warm', 'CLI')}, in process ${ratio('cli cold', 'library warm', 'in process')}`);
  const step = (k: string) => p50(`cli cold prepared step ${k}`);
  console.log(
    `prepared pool: devcontainer step ${targets.check('cold box devcontainer step, pool prepared, p50', step('devcontainer'), '≤', 8000, 'ms')}, cold box ${targets.check('cold box to ready, pool prepared, p50', p50('cli cold prepared'), '≤', 15000, 'ms')}`,
  );
  console.log(`warm/cold ratio, prepared pool: ${(p50('cli cold prepared') / p50('cli warm')).toFixed(1)}×`);
  console.log(`warm claim + .env + branch switch p50: ${targets.check('warm claim + .env + branch switch to ready, CLI, p50', p50('cli switched'), '≤', 1000, 'ms')}`);
  console.log(`switched-to-cold ratio: ${(p50('cli cold') / p50('cli switched')).toFixed(1)}× (a base-branch box switched to feature vs a cold box)`);
  console.log(`pool fill: ${3 * RUNS} standby boxes in ${(fillMs / 1000).toFixed(0)} s (reconcile provisions 4 at once)`);
  targets.finish();
}

function timed(cmd: string, args: string[]): number {
  const t = performance.now();
  const r = spawnSync(cmd, args, { env, stdio: 'ignore' });
  const ms = performance.now() - t;
  mustBe(r.status === 0, `${cmd} ${args.join(' ')} exited ${String(r.status)}`);
  return ms;
}

try {
  await main();
} finally {
  const ids = execFileSync('docker', ['ps', '-aq', '--filter', `label=cac.test-run=${run}`], { env, encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);
  if (ids.length) execFileSync('docker', ['rm', '-f', '-v', ...ids], { env });
  const volumes = execFileSync('docker', ['volume', 'ls', '-q', '--filter', `label=cac.test-run=${run}`], { env, encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);
  if (volumes.length) execFileSync('docker', ['volume', 'rm', ...volumes], { env });
  rmSync(home, { recursive: true, force: true });
}
