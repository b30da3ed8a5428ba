// Agent CLIs from the agent cache, and `box exec`, measured side by side in one run:
// 1. `cac up` of a new container with codex enabled and cached vs `cac up --no-agents` of one, interleaved
//    (target ratio ≤ 1.3). The first install is real: `cac agents cache warm` installs @openai/codex from the
//    npm registry in a throwaway container and fills its read-only agent volume. The workspace's container
//    has npm pointed at a dead registry, so every cached run must report codex linked from the volume and
//    `cac exec -- codex --version` must print the pinned version (a registry install could not have succeeded).
// 2. A cold box with codex: the box container sees the engine's agent volume read-only, its dev container
//    mounts a view of it and the `agents` step links codex (target ≤ 1 s; checked by the link's target);
//    `cac box exec <id> -- true` p50 (target ≤ 1 s), after `codex --version` ran in the box's container.
// Run: node scripts/build.mjs --no-types && node --import tsx bench/agent-cache.ts   (BENCH_RUNS=5)
// Needs the engine and images from `scripts/infra up` and the npm registry (the first install only).
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { makeBoxRepo } from '../test/helpers/box-repo.js';
import { BIN, fmtMs, median, mustBe, percentile, requireInfra, table, Targets } from './lib.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const EXEC_RUNS = Number(process.env.BENCH_EXEC_RUNS ?? 10);
const PINNED = '0.171.0';
const VOLUME = `cac-agent-codex-${PINNED}-x86_64-gnu`;
const infra = requireInfra('DOCKER_HOST', 'CAC_TEST_BASE_IMAGE', 'CAC_TEST_BOX_IMAGE');
const run = `bench-agent-cache-${process.pid}`;
const home = mkdtempSync(join(tmpdir(), 'cac-bench-agent-cache-'));
const ws = join(home, 'ws');
const repo = join(home, 'app');
const env: Record<string, string> = {
  PATH: process.env.PATH ?? '',
  HOME: home,
  NO_COLOR: '1',
  XDG_CONFIG_HOME: join(home, 'config'),
  XDG_STATE_HOME: join(home, 'state'),
  XDG_CACHE_HOME: join(home, 'cache'),
  CAC_TEST_RUN_LABEL: run,
  DOCKER_HOST: infra.DOCKER_HOST ?? '',
};

function cac(args: string[], ok = true): { ms: number; doc: Record<string, unknown>; stderr: string } {
  const t = performance.now();
  const r = spawnSync(process.execPath, [BIN, ...args, '--json'], { env, encoding: 'utf8' });
  const ms = performance.now() - t;
  if (ok) mustBe(r.status === 0, `cac ${args.join(' ')} exited ${String(r.status)}: ${r.stdout}${r.stderr}`);
  return { ms, doc: JSON.parse(r.stdout || '{}') as Record<string, unknown>, stderr: r.stderr };
}

/** A command's stdout (exit 0 required), e.g. `cac exec` or `cac box exec`, without --json. */
function plain(args: string[]): { ms: number; stdout: string } {
  const t = performance.now();
  const r = spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8' });
  const ms = performance.now() - t;
  mustBe(r.status === 0, `cac ${args.join(' ')} exited ${String(r.status)}: ${r.stderr}`);
  return { ms, stdout: r.stdout };
}

function setup(): void {
  mkdirSync(join(home, '.codex'), { recursive: true });
  writeFileSync(join(home, '.codex/auth.json'), '{"OPENAI_API_KEY":"sk-bench"}\n', { mode: 0o600 });
  mkdirSync(join(ws, '.devcontainer'), { recursive: true });
  // npm in the container reaches no registry: a cached agent must not need one
  const devcontainer = { image: infra.CAC_TEST_BASE_IMAGE, remoteUser: 'dev', containerEnv: { npm_config_registry: 'http://127.0.0.1:9/', npm_config_fetch_retries: '0' } };
  writeFileSync(join(ws, '.devcontainer/devcontainer.json'), JSON.stringify(devcontainer));
  chownSync(ws, 1000, 1000);
  makeBoxRepo(repo);
  mkdirSync(join(home, 'config', 'cac'), { recursive: true });
  writeFileSync(
    join(home, 'config', 'cac', 'config.toml'),
    `[agents]\nenabled = true\n\n[agents.codex]\nenabled = true\n\n[boxes]\npreload_images = ["${infra.CAC_TEST_BASE_IMAGE}"]\n\n` +
      `[[pools]]\nrepo_url = "file://${repo}"\nbase_branch = "main"\nmin_standby = 0\nmax_instances = 2\n`,
  );
}

function main(): void {
  setup();
  // the first install: from the npm registry, in a throwaway container of the dev containers' image
  const warm = cac(['agents', 'cache', 'warm', '--image', infra.CAC_TEST_BASE_IMAGE ?? '']);
  const warmed = (warm.doc.agents as Array<{ agent: string; version: string; from: string; volume: string | null; status: string }>)[0];
  mustBe(warmed?.status === 'ok' && warmed.from === 'registry' && warmed.version === PINNED, `cache warm installed codex ${PINNED} from the registry: ${JSON.stringify(warm.doc)}`);
  mustBe(warmed.volume === VOLUME, `cache warm filled the agent volume ${VOLUME}: ${JSON.stringify(warm.doc)}`);

  const up: number[] = [];
  const bare: number[] = [];
  const down = () => cac(['down', ws]);
  for (let i = 0; i <= RUNS; i++) {
    down();
    const plainUp = cac(['up', ws, '--no-agents']);
    mustBe((plainUp.doc.agents as unknown[]).length === 0, 'up --no-agents injected nothing');
    down();
    const withAgents = cac(['up', ws]);
    const codex = (withAgents.doc.agents as Array<{ agent: string; status: string; installedFrom?: string }>)[0];
    mustBe(codex?.status === 'ok' && codex.installedFrom === 'volume', `codex linked from its volume: ${JSON.stringify(withAgents.doc.agents)}`);
    const version = plain(['exec', ws, '--', 'codex', '--version']).stdout;
    mustBe(version.includes(PINNED), `codex --version in the container printed ${JSON.stringify(version)}`);
    if (i === 0) continue; // warm-up: the image and the devcontainer CLI's first run
    bare.push(plainUp.ms);
    up.push(withAgents.ms);
  }
  down();
  // printed before the box part: a box that fails still leaves the local numbers
  console.log(`local, medians: cac up --no-agents ${fmtMs(median(bare))}, cac up codex cached ${fmtMs(median(up))} (${(median(up) / median(bare)).toFixed(2)}×)`);

  // a cold box with codex: linked from the engine's agent volume, seen read-only through the box
  const request = cac(['box', 'request', '--repo', `file://${repo}`, '--wait', '--timeout', '10m']);
  const box = request.doc.box as { id: string; state: string; steps: Array<{ name: string; durationMs: number; ok: boolean }> };
  mustBe(box.state === 'ready' && box.steps.every((s) => s.ok), `the cold box is ready with every step ok: ${JSON.stringify(box.steps)}`);
  const agentsStep = box.steps.find((s) => s.name === 'agents')?.durationMs ?? NaN;
  const inBox = plain(['box', 'exec', box.id, '--', 'codex', '--version']).stdout;
  mustBe(inBox.includes(PINNED), `codex --version in the box's container printed ${JSON.stringify(inBox)}`);
  const link = plain(['box', 'exec', box.id, '--', 'sh', '-c', 'readlink "$HOME/.local/bin/codex"']).stdout.trim();
  mustBe(link === `/opt/cac-agents/codex-${PINNED}-x86_64-gnu/bin/codex`, `the box's codex is linked from the agent volume, got ${JSON.stringify(link)}`);
  const execs: number[] = [];
  for (let i = 0; i <= EXEC_RUNS; i++) {
    const r = plain(['box', 'exec', box.id, '--', 'true']);
    if (i > 0) execs.push(r.ms);
  }
  const cold = box.steps.map((s) => `${s.name} ${fmtMs(s.durationMs)}`).join(', ');
  cac(['box', 'release', box.id]);

  const targets = new Targets('agent-cache');
  console.log(`\nagent CLIs from the cache (codex ${PINNED}), ${RUNS} runs each after a warm-up, interleaved\n`);
  console.log(
    table(
      ['case', 'median ms', 'min ms', 'max ms'],
      [
        ['first install: `cac agents cache warm` (npm registry, throwaway container)', fmtMs(warm.ms), '-', '-'],
        ['`cac up --no-agents` (new container)', fmtMs(median(bare)), fmtMs(Math.min(...bare)), fmtMs(Math.max(...bare))],
        ['`cac up`, codex from its read-only volume (new container, no registry)', fmtMs(median(up)), fmtMs(Math.min(...up)), fmtMs(Math.max(...up))],
        ['cold box, step agents (codex linked from the agent volume the box sees)', fmtMs(agentsStep), '-', '-'],
        ['`cac box exec <id> -- true` (p50)', fmtMs(percentile(execs, 50)), fmtMs(Math.min(...execs)), fmtMs(Math.max(...execs))],
      ],
    ),
  );
  console.log(`\ncold box steps: ${cold}`);
  console.log(`\ncac up with codex cached / --no-agents: ${targets.check('cac up with agents cached / cac up --no-agents, medians', median(up) / median(bare), '≤', 1.3, '×')}`);
  console.log(`box agents step, cached: ${targets.check('cold box agents step with codex cached', agentsStep, '≤', 1000, 'ms')}`);
  console.log(`box exec p50: ${targets.check('cac box exec <id> -- true, p50', percentile(execs, 50), '≤', 1000, 'ms')}`);
  targets.finish();
}

try {
  main();
} finally {
  const ids = execFileSync('docker', ['ps', '-aq', '--filter', `label=cac.test-run=${run}`], { env, encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);
  const mine = execFileSync('docker', ['ps', '-aq', '--filter', `label=devcontainer.local_folder=${ws}`], { env, encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);
  if (ids.length + mine.length) execFileSync('docker', ['rm', '-f', '-v', ...ids, ...mine], { env });
  spawnSync('docker', ['volume', 'rm', VOLUME, `${VOLUME}-data`], { env });
  rmSync(home, { recursive: true, force: true });
}
