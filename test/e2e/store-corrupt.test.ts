// A Redis store holding one record that does not decode, through bin/cac: `box list` and `pool reconcile`
// answer (the record reported once on stderr with its id and what is wrong), `box show` names it with
// ERR_STORE_CORRUPT. The store is a Redis database of its own (cac's keys have a fixed prefix).
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RedisAgentBoxStore } from '../../src/adapters/store/redis.js';
import type { Box } from '../../src/domain/box.js';
import { writeConfig } from '../helpers/box-cli.js';
import { newRunId } from '../helpers/box-run.js';
import { describeWith, engineEnv, infra } from '../helpers/infra.js';
import { runBin, tempHome } from '../helpers/run-cli.js';

const DB = 11;
const REPO = 'https://example.test/acme/corrupt.git';

describeWith(['docker', 'redis'], 'a corrupt record in the Redis store, through bin/cac', () => {
  const url = `${(infra.CAC_TEST_REDIS_URL ?? '').replace(/\/\d*$/, '')}/${DB}`;
  const { home, env: homeEnv } = tempHome();
  const env = { ...engineEnv(), ...homeEnv, CAC_TEST_RUN_LABEL: newRunId('e2e-corrupt') };
  const cac = (args: string[]) => runBin(args, { env });
  let good: Box;
  let bad: Box;

  const flush = async () => {
    const admin = new Redis(url);
    const keys = await admin.keys('cac:*');
    if (keys.length) await admin.del(...keys);
    admin.disconnect();
  };

  beforeAll(async () => {
    await flush();
    writeConfig(join(homeEnv.XDG_CONFIG_HOME, 'cac', 'config.toml'), `[store]\nurl = "${url}"\n`);
    const store = RedisAgentBoxStore.connect(url);
    const make = async (key: string) => {
      const b = await store.createBox(
        { repoUrl: REPO, baseBranch: 'main', claimant: 'ann', leaseExpiresAt: Date.now() + 3_600_000, deadlineAt: Date.now() + 3_600_000, now: Date.now() },
        { idempotencyKey: key },
      );
      await store.transition(b.id, { from: 'requested', to: 'provisioning', now: Date.now() });
      return (await store.transition(b.id, { from: 'provisioning', to: 'ready', now: Date.now() })) ?? b;
    };
    good = await make('good');
    bad = await make('bad');
    await store.close();
    const admin = new Redis(url);
    await admin.hset(`cac:box:${bad.id}`, 'steps', '{not json');
    admin.disconnect();
  });

  afterAll(async () => {
    await flush();
    rmSync(home, { recursive: true, force: true });
  });

  const warningsAbout = (stderr: string) => stderr.split('\n').filter((l) => l.includes(bad.id));

  it('box list lists the good boxes and reports the bad record once', async () => {
    const r = await cac(['box', 'list', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { boxes: Box[] }).boxes.map((b) => b.id)).toEqual([good.id]);
    expect(warningsAbout(r.stderr)).toEqual([`warning: box ${bad.id} in Redis cannot be read: steps is not valid JSON; skipped`]);
    expect(r.stderr).not.toMatch(/bug in cac/);
  });

  it('a reconcile round runs through it', async () => {
    const r = await cac(['pool', 'reconcile', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ outcome: 'success' });
    expect(warningsAbout(r.stderr)).toHaveLength(1);
  });

  it('box show names the record, what is wrong and where to repair it', async () => {
    const r = await cac(['box', 'show', bad.id, '--json']);
    expect(r.exitCode).toBe(1);
    const doc = JSON.parse(r.stdout) as { code: string; message: string; hint: string };
    expect(doc).toMatchObject({ code: 'ERR_STORE_CORRUPT', message: `box ${bad.id} in Redis cannot be read: steps is not valid JSON` });
    expect(doc.hint).toContain(`cac:box:${bad.id}`);
  });
});
