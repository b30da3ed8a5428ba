// The library, as a user runs it: examples/library/basic-usage.ts (the CodeAgentController Basic Usage as
// written) and facade.ts (openController), run with tsx against the built package, real Redis and the docker
// driver with the box image. A cold request returns at once (its box still `requested`) and reaches ready,
// provisioned in the example's own process; a reconcile fills the pool; a warm claim carries an encrypted
// payload whose .env is found on the box. The library prints nothing of its own: stdout holds only the
// examples' JSON lines, stderr nothing.
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { newRunId, removeRun, runContainers } from '../helpers/box-run.js';
import { makeBoxRepo } from '../helpers/box-repo.js';
import { describeWith, engineEnv, infra } from '../helpers/infra.js';
import { REPO_ROOT, tempHome } from '../helpers/run-cli.js';

const RUN = newRunId('e2e-library');
const MASTER_KEY = randomBytes(32).toString('base64');
const BOX_IMAGE = infra.CAC_TEST_BOX_IMAGE ?? 'cac-test/box:bookworm';
const BASE_IMAGE = infra.CAC_TEST_BASE_IMAGE ?? 'cac-test/base:bookworm';
/** Databases 13 (the Basic Usage) and 14 (the facade) of the test Redis: only this file writes there. */
const redisDb = (db: number) => `${(infra.CAC_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379').replace(/\/\d*$/, '')}/${db}`;
const { home, env: homeEnv } = tempHome();
const repo = mkdtempSync(join(tmpdir(), 'cac-e2e-librepo-'));
const REPO = `file://${repo}`;
const env = { ...engineEnv(), ...homeEnv, CAC_TEST_RUN_LABEL: RUN, CAC_MASTER_KEY: MASTER_KEY, BOX_IMAGE, PRELOAD_IMAGES: BASE_IMAGE };

interface BoxDoc {
  id: string;
  state: string;
  vmRef: string;
  claimant: string | null;
  steps: Array<{ name: string; ok: boolean }>;
  workspace: { folder: string } | null;
}
type Event = { event: string; warm?: boolean; box?: BoxDoc; outcome?: string; pool?: { applied?: { provisioned: Array<{ outcome: string; error?: string }> } } };

/** Runs an example with tsx (it imports 'code-agent-controller': the built dist/); its stdout as JSON lines. */
async function example(name: string, args: string[], extra: Record<string, string> = {}): Promise<Event[]> {
  const r = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'examples/library', name), ...args], {
    cwd: REPO_ROOT,
    env: { ...env, ...extra },
    maxBuffer: 16 * 1024 * 1024,
  }).catch((e: { stdout?: string; stderr?: string; message: string }) => {
    throw new Error(`${name} failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  });
  expect(r.stderr, `${name} wrote to stderr`).toBe('');
  return r.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Event);
}

const onBox = (box: BoxDoc, script: string) => execFileSync('docker', ['exec', '-u', 'cac', box.vmRef, 'sh', '-c', script], { env: engineEnv(), encoding: 'utf8' }).trim();

async function flush(url: string): Promise<void> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    await client.flushdb();
  } finally {
    client.disconnect();
  }
}

describeWith(['docker', 'redis'], 'the library: the Basic Usage and openController, run as a user runs them', () => {
  beforeAll(async () => {
    makeBoxRepo(repo);
    await Promise.all([flush(redisDb(13)), flush(redisDb(14))]);
  });
  afterAll(async () => {
    removeRun(RUN);
    rmSync(repo, { recursive: true, force: true });
    await Promise.all([flush(redisDb(13)), flush(redisDb(14))]);
  });

  it('basic-usage.ts: a cold request returns at once and gets ready in-process; reconcile fills the pool; a warm claim writes the .env', async () => {
    const events = await example('basic-usage.ts', [REPO], { REDIS_URL: redisDb(13) });
    expect(events.map((e) => e.event)).toEqual(['requested', 'reconciled', 'ready', 'claimed']);
    const [requested, reconciled, ready, claimed] = events as [Event, Event, Event, Event];
    // returned before any step ran: the box was still only recorded
    expect(requested).toMatchObject({ warm: false, box: { state: 'requested', claimant: 'ticket-123', steps: [] } });
    expect(
      reconciled.pool?.applied?.provisioned.map((p) => p.outcome),
      JSON.stringify(reconciled.pool),
    ).toEqual(['standby', 'standby']);
    expect(ready.box?.id).toBe(requested.box?.id);
    expect(ready.box?.state).toBe('ready');
    expect(ready.box?.steps.map((s) => [s.name, s.ok])).toEqual([
      ['vm_create', true],
      ['ssh_ready', true],
      ['repo', true],
      ['devcontainer', true],
      ['env', true],
    ]);
    expect(claimed).toMatchObject({ warm: true, box: { state: 'ready', claimant: 'ticket-124' } });
    expect(claimed.box?.steps.at(-1)).toMatchObject({ name: 'env', ok: true });
    for (const box of [ready.box, claimed.box] as BoxDoc[]) {
      expect(box.workspace?.folder).toBe('/home/cac/repo');
      expect(onBox(box, 'cat /home/cac/repo/.env; stat -c %a /home/cac/repo/.env')).toBe('GREETING="hello from the Basic Usage"\n600');
    }
    // every box of the run: the cold one and the two of the pool
    expect(runContainers(RUN)).toHaveLength(3);
  });

  it("facade.ts: openController reconciles the config's pool as `cac pool reconcile` and claims it warm with the .env", async () => {
    const config = join(home, 'facade.toml');
    writeFileSync(
      config,
      `[store]\nurl = "${redisDb(14)}"\n\n[boxes]\npreload_images = ["${BASE_IMAGE}"]\n\n[boxes.docker]\nimage = "${BOX_IMAGE}"\n\n[[pools]]\nrepo_url = "${REPO}"\nmin_standby = 1\nmax_instances = 2\n`,
    );
    const events = await example('facade.ts', [config]);
    expect(events.map((e) => e.event)).toEqual(['reconciled', 'claimed']);
    const [reconciled, claimed] = events as [Event, Event];
    expect(
      reconciled.pool?.applied?.provisioned.map((p) => p.outcome),
      JSON.stringify(reconciled.pool),
    ).toEqual(['standby']);
    expect(claimed).toMatchObject({ warm: true, box: { state: 'ready', claimant: 'ticket-125' } });
    const box = claimed.box as BoxDoc;
    expect(box.steps.map((s) => s.name)).toEqual(['vm_create', 'ssh_ready', 'repo', 'devcontainer', 'env']);
    expect(onBox(box, `cat ${box.workspace?.folder}/.env`)).toBe('GREETING="hello from the facade"');
  });
});
