// Several hosts, one pool (README "Several hosts, one pool"), through bin/cac on the real dockerd, the real
// box image and one real Redis: two hosts are two HOMEs (config and state dirs of their own) with the same
// config and master key. Host A's reconcile makes a standby box; host B claims it warm with --env-file
// (it used to be refused by the box: each host logged in with its own key); `box exec` works from both;
// each host's reconcile keeps the other's boxes; a host without the master key is told so and claims
// nothing. bin/cac always uses the key prefix `cac:`, so this file has Redis database 12 to itself.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { generateKey } from '../../src/core/secrets/keys.js';
import { boxCli, type BoxDoc, type ErrorDoc, poolToml, tomlString, writeConfig } from '../helpers/box-cli.js';
import { makeBoxRepo } from '../helpers/box-repo.js';
import { newRunId, removeRun } from '../helpers/box-run.js';
import { describeWith, infra } from '../helpers/infra.js';
import { dropPrefix } from '../integration/store/redis-prefix.js';

const RUN = newRunId('e2e-multihost');
const url = (() => {
  const u = new URL(infra.CAC_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
  u.pathname = '/12';
  return u.toString();
})();
const MASTER_KEY = generateKey();
const PLAIN = `API_TOKEN=multi-${randomBytes(8).toString('hex')}\n`;
const repo = mkdtempSync(join(tmpdir(), 'cac-e2e-multihost-repo-'));
const REPO = `file://${repo}`;
const hostA = boxCli(RUN, { CAC_MASTER_KEY: MASTER_KEY });
const hostB = boxCli(RUN, { CAC_MASTER_KEY: MASTER_KEY });
const keyless = boxCli(RUN);

interface ReadyBox extends BoxDoc {
  branch: string;
  workspace: { folder: string; branch: string } | null;
}
type Rounds = { pools: Array<{ plan: { creates: number }; applied: { provisioned: Array<{ id: string; outcome: string; error?: string }>; unfit: unknown[]; failed?: unknown[] } }> };

describeWith(['docker', 'redis'], 'several hosts, one pool: two state dirs sharing one Redis (bin/cac)', () => {
  let standby: ReadyBox;
  let claimed: ReadyBox;

  beforeAll(async () => {
    await dropPrefix(url, 'cac:');
    makeBoxRepo(repo);
    const toml = `[store]\nurl = ${tomlString(url)}\n\n[boxes]\npreload_images = ["cac-test/base:bookworm"]\nprovision_timeout = "5m"\n\n${poolToml(REPO, 1, 3)}`;
    for (const host of [hostA, hostB, keyless]) writeConfig(host.configFile, toml);
  });
  afterAll(async () => {
    removeRun(RUN);
    await dropPrefix(url, 'cac:');
    for (const host of [hostA, hostB, keyless]) rmSync(host.home, { recursive: true, force: true });
    rmSync(repo, { recursive: true, force: true });
  });

  it("host A's reconcile makes a standby box; the fleet key is in Redis only as an envelope, no host keeps a key of its own", async () => {
    const round = await hostA.json<Rounds>(['pool', 'reconcile']);
    const made = round.pools[0]?.applied.provisioned ?? [];
    expect(
      made.map((p) => p.outcome),
      JSON.stringify(made),
    ).toEqual(['standby']);
    standby = (await hostA.json<{ box: ReadyBox }>(['box', 'show', made[0]?.id ?? ''])).box;
    const redis = new Redis(url);
    try {
      expect(await redis.get('cac:secret:ssh-identity')).toMatch(/^cac:v1:[0-9a-f]{8}:[A-Za-z0-9+/]+=*$/);
    } finally {
      redis.disconnect();
    }
    expect(existsSync(hostA.keyFile)).toBe(false);
  });

  it('a host without the master key is told what is missing and claims nothing', async () => {
    const r = await keyless.cac(['box', 'request', '--repo', REPO, '--for', 'keyless', '--json']);
    expect(r.exitCode, r.stderr).toBe(1);
    const doc = JSON.parse(r.stdout) as ErrorDoc;
    expect(doc).toMatchObject({ code: 'ERR_NO_MASTER_KEY', hint: expect.stringContaining('CAC_MASTER_KEY') });
    expect((await keyless.boxes()).find((b) => b.id === standby.id)?.state).toBe('standby');
  });

  it("host B claims host A's box warm with --env-file, switched to feature; box exec works from both hosts", async () => {
    const envFile = join(hostB.home, 'app.env.cac');
    const enc = await hostB.cac(['env', 'encrypt', '--out', envFile], { input: PLAIN });
    expect(enc.exitCode, enc.stderr).toBe(0);
    const grant = await hostB.json<{ warm: boolean; box: ReadyBox }>(['box', 'request', '--repo', REPO, '--branch', 'feature', '--env-file', envFile, '--for', 'host-b']);
    expect(grant).toMatchObject({ warm: true, box: { id: standby.id, state: 'ready', branch: 'feature', claimant: 'host-b' } });
    expect(grant.box.steps.slice(-2).map((s) => [s.name, s.ok])).toEqual([
      ['switch', true],
      ['env', true],
    ]);
    claimed = grant.box;
    for (const host of [hostB, hostA]) {
      const shown = await host.cac(['box', 'exec', claimed.id, '--', 'sh', '-c', 'cat .env; cat feature.txt']);
      expect(shown.exitCode, shown.stderr).toBe(0);
      expect(shown.stdout).toBe(`${PLAIN}on feature\n`);
    }
    const ssh = await hostA.cac(['box', 'ssh', claimed.id, '--', 'id', '-un']);
    expect([ssh.exitCode, ssh.stdout, ssh.stderr]).toEqual([0, 'cac\n', '']);
  });

  it("host B's reconcile refills the pool; host A's next round checks B's box and keeps it: no box failed", async () => {
    const round = await hostB.json<Rounds>(['pool', 'reconcile']);
    expect(round.pools[0]?.applied.provisioned.map((p) => p.outcome)).toEqual(['standby']);
    const again = await hostA.json<Rounds>(['pool', 'reconcile']);
    expect(again.pools[0]).toMatchObject({ plan: { creates: 0 }, applied: { unfit: [] } });
    const boxes = await hostA.boxes();
    expect(boxes.filter((b) => b.state === 'failed')).toEqual([]);
    expect(boxes.map((b) => b.state).sort()).toEqual(['ready', 'standby']);
  });

  it('either host releases any box', async () => {
    expect((await hostA.json<{ box: BoxDoc }>(['box', 'release', claimed.id])).box.state).toBe('destroyed');
    const other = (await hostB.boxes()).find((b) => b.state === 'standby');
    expect((await hostB.json<{ box: BoxDoc }>(['box', 'release', other?.id ?? ''])).box.state).toBe('destroyed');
  });
});
