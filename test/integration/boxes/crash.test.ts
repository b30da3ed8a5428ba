// Crash: `kill -9` of `cac pool reconcile` at random points, steered across its steps (start-up and
// removals, vm_create, ssh_ready, the final write, anywhere). After each kill the next reconcile must
// converge: min_standby standby boxes, nothing in flight or half released, and containers and records
// matching one to one. Plain SSH boxes (no inner dockerd) keep each trial to a few seconds.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, expect, it } from 'vitest';
import { SqliteAgentBoxStore } from '../../../src/adapters/store/sqlite.js';
import { poolKeyOf } from '../../../src/domain/box.js';
import { LIVE_STATES } from '../../../src/domain/box.js';
import { newRunId, removeRun, runContainers } from '../../helpers/box-run.js';
import { describeWith, engineEnv, infra } from '../../helpers/infra.js';
import { BIN, runBin, tempHome } from '../../helpers/run-cli.js';

const RUN = newRunId('crash');
const REPO = 'https://example.test/acme/crash.git';
const POOL = poolKeyOf(REPO, 'main');
const MIN_STANDBY = 2;
const KILLS = 20;
const { env: homeEnv } = tempHome();
const env = { ...engineEnv(), ...homeEnv, CAC_TEST_RUN_LABEL: RUN, CAC_BOX_INNER_DOCKER: '0', CAC_RECONCILE_LOCK_TTL: '1s' };

/** Where to aim the kill: a stderr line to wait for (none: from the start) and a random delay after it. */
const AIMS = [
  { phase: 'start-up, lock, removals, records', line: undefined, maxDelayMs: 700 },
  { phase: 'vm_create', line: /^\[\.\.\] box_\w+ vm_create/, maxDelayMs: 600 },
  { phase: 'ssh_ready', line: /^\[\.\.\] box_\w+ ssh_ready/, maxDelayMs: 800 },
  { phase: 'final write', line: /^\[ok\] box_\w+ ssh_ready/, maxDelayMs: 20 },
  { phase: 'anywhere', line: undefined, maxDelayMs: 4000 },
] as const;

/** Runs `cac pool reconcile` and SIGKILLs it per `aim`; resolves whether it was killed (vs finished first). */
function reconcileAndKill(aim: (typeof AIMS)[number]): Promise<{ killed: boolean; lastLine: string }> {
  const child = spawn(process.execPath, [BIN, 'pool', 'reconcile'], { env: { NO_COLOR: '1', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let lastLine = '';
  let timer: NodeJS.Timeout | undefined;
  const arm = () => (timer ??= setTimeout(() => child.kill('SIGKILL'), Math.random() * aim.maxDelayMs));
  if (!aim.line) arm();
  createInterface({ input: child.stderr }).on('line', (line) => {
    lastLine = line;
    if (aim.line?.test(line)) arm();
  });
  return new Promise((resolve) =>
    child.on('exit', (_code, signal) => {
      clearTimeout(timer);
      resolve({ killed: signal === 'SIGKILL', lastLine });
    }),
  );
}

describeWith(['docker'], 'crash: kill -9 of cac pool reconcile', () => {
  const stateFile = join(homeEnv.XDG_STATE_HOME, 'cac', 'boxes.db');
  mkdirSync(join(homeEnv.XDG_CONFIG_HOME, 'cac'), { recursive: true });
  writeFileSync(
    join(homeEnv.XDG_CONFIG_HOME, 'cac', 'config.toml'),
    `[boxes]\nprovision = "vm"\norphan_grace = "2s"\nprovision_timeout = "3m"\n\n[boxes.docker]\nimage = "${infra.CAC_TEST_BOX_IMAGE ?? 'cac-test/box:bookworm'}"\n\n[[pools]]\nrepo_url = "${REPO}"\nbase_branch = "main"\nmin_standby = ${MIN_STANDBY}\nmax_instances = 4\n`,
  );
  afterAll(() => removeRun(RUN));

  /** Reconciles until a round runs (a dead holder's lock may still be leased) and returns its document. */
  async function converge(): Promise<Record<string, unknown>> {
    for (let i = 0; i < 5; i++) {
      const r = await runBin(['pool', 'reconcile', '--json'], { env });
      expect(r.exitCode, r.stderr).toBe(0);
      const doc = JSON.parse(r.stdout) as Record<string, unknown>;
      if (doc.outcome !== 'skipped') return doc;
    }
    throw new Error('reconcile stayed locked');
  }

  /** Containers and live records match one to one; the pool holds exactly min_standby standby boxes. */
  async function expectConverged(store: SqliteAgentBoxStore, trial: string): Promise<void> {
    const live = await store.list({ states: LIVE_STATES });
    expect(live.map((b) => b.state).sort(), trial).toEqual(Array.from({ length: MIN_STANDBY }, () => 'standby'));
    expect(
      live.every((b) => b.poolKey === POOL && b.vmRef !== null),
      trial,
    ).toBe(true);
    const containers = runContainers(RUN);
    expect(containers.map((c) => c.id).sort(), `${trial}: containers without a record or records without a container`).toEqual(live.map((b) => b.vmRef).sort());
    expect(containers.map((c) => c.boxId).sort(), trial).toEqual(live.map((b) => b.id).sort());
  }

  it(`converges after ${KILLS} kills spread over the reconcile's steps`, async () => {
    await converge();
    const store = new SqliteAgentBoxStore(stateFile);
    const phases: Record<string, number> = {};
    let kills = 0;
    try {
      await expectConverged(store, 'initial fill');
      for (let trial = 0; kills < KILLS && trial < KILLS * 2; trial++) {
        // give the next reconcile removals and creates: one or two boxes claimed with a lease already over
        for (let i = 0; i < 1 + (trial % 2); i++) await store.claimStandby(POOL, { claimant: 'crash-test', leaseMs: 1, now: Date.now() - 10 });
        const aim = AIMS[trial % AIMS.length] ?? AIMS[0];
        const { killed, lastLine } = await reconcileAndKill(aim);
        if (killed) {
          kills += 1;
          phases[aim.phase] = (phases[aim.phase] ?? 0) + 1;
        }
        const doc = await converge();
        expect(doc.warnings, `trial ${trial}`).toEqual([]);
        await expectConverged(store, `trial ${trial} (${aim.phase}, killed ${String(killed)} after "${lastLine}")`);
      }
      expect((await store.getPoolHealth(POOL)).consecutiveFailures).toBe(0);
    } finally {
      await store.close();
      process.stderr.write(`crash test: ${kills} kills by phase ${JSON.stringify(phases)}\n`);
    }
    expect(kills).toBeGreaterThanOrEqual(KILLS);
    expect(Object.keys(phases).length).toBeGreaterThanOrEqual(4);
  });
});
