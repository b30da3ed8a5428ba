// The store contract on SQLite (a fresh file per test), plus what only a file has: modes, WAL, reopening.
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteAgentBoxStore } from '../../../src/adapters/store/sqlite.js';
import { probeStore } from '../../../src/app/store-probe.js';
import { defaultConfig } from '../../../src/config/defaults.js';
import { isCacError } from '../../../src/errors.js';
import { boxStoreContract } from './contract.js';
import { REPO, seedStandby } from './seed.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cac-store-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

boxStoreContract('sqlite', async () => {
  const store = new SqliteAgentBoxStore(join(tempDir(), 'boxes.db'));
  return { store, dispose: () => store.close() };
});

describe('SqliteAgentBoxStore file', () => {
  it('creates the file 0600 in a new 0700 dir, in WAL mode', async () => {
    const dir = join(tempDir(), 'state', 'cac');
    const file = join(dir, 'boxes.db');
    const store = new SqliteAgentBoxStore(file);
    await seedStandby(store, 1);
    await store.close();
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const db = new Database(file, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('keeps boxes across a reopen, and two handles on one file see each other', async () => {
    const file = join(tempDir(), 'boxes.db');
    const first = new SqliteAgentBoxStore(file);
    const box = await seedStandby(first, 1);
    const second = new SqliteAgentBoxStore(file);
    const claimed = await second.claimStandby(box.poolKey, { claimant: 'bob', leaseMs: 10, now: 2 });
    expect(claimed?.id).toBe(box.id);
    expect(await first.claimStandby(box.poolKey, { claimant: 'eve', leaseMs: 10, now: 3 })).toBeNull();
    await first.close();
    await second.close();
    const reopened = new SqliteAgentBoxStore(file);
    expect(await reopened.get(box.id)).toEqual(claimed);
    await reopened.close();
  });

  it('upgrades a schema-1 file (no fleet leases, no shared secrets yet) in place, keeping its boxes', async () => {
    const file = join(tempDir(), 'boxes.db');
    const first = new SqliteAgentBoxStore(file);
    const box = await seedStandby(first, 1);
    await first.close();
    const db = new Database(file);
    db.exec('DROP INDEX boxes_claimant; DROP TABLE fleet_hosts; DROP TABLE secrets; ALTER TABLE pools DROP COLUMN purged_boxes; ALTER TABLE pools DROP COLUMN purged_box_ms_total');
    // a body from before boxes recorded where their VM runs and why they were released
    db.prepare("UPDATE boxes SET body = json_remove(body, '$.vmLocation', '$.releaseReason', '$.commit', '$.configHash', '$.head') WHERE id = ?").run(box.id);
    db.pragma('user_version = 1');
    db.close();
    const upgraded = new SqliteAgentBoxStore(file);
    expect(await upgraded.get(box.id)).toEqual(box);
    expect(await upgraded.leaseFleetHost(['cac@h:22'], box.id, 2)).toBe('cac@h:22');
    expect(await upgraded.putSecretIfAbsent('ssh-identity', 'cac:v1:00000000:AAAA')).toBe('cac:v1:00000000:AAAA');
    await upgraded.close();
    const check = new Database(file, { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(4);
    check.close();
  });

  it('upgrades a schema-2 file (no purge totals yet): its pool stats kept, purge totals from zero; old bodies read releaseReason null', async () => {
    const file = join(tempDir(), 'boxes.db');
    const first = new SqliteAgentBoxStore(file);
    const box = await seedStandby(first, 1);
    await first.recordClaim(box.poolKey, { warm: true, latencyMs: 7 });
    await first.close();
    const db = new Database(file);
    db.exec('DROP INDEX boxes_claimant; DROP TABLE secrets; ALTER TABLE pools DROP COLUMN purged_boxes; ALTER TABLE pools DROP COLUMN purged_box_ms_total');
    // a body written by a cac without releaseReason and vmLocation
    const body = JSON.parse((db.prepare('SELECT body FROM boxes WHERE id = ?').get(box.id) as { body: string }).body) as Record<string, unknown>;
    delete body.releaseReason;
    delete body.vmLocation;
    delete body.commit;
    delete body.configHash;
    delete body.head;
    db.prepare('UPDATE boxes SET body = ? WHERE id = ?').run(JSON.stringify(body), box.id);
    db.pragma('user_version = 2');
    db.close();
    const upgraded = new SqliteAgentBoxStore(file);
    expect(await upgraded.get(box.id)).toEqual({ ...box, releaseReason: null, vmLocation: null, commit: null, configHash: null, head: null });
    expect(await upgraded.poolStats(box.poolKey)).toMatchObject({ warmClaims: 1, purgedBoxes: 0, purgedBoxMsTotal: 0 });
    expect(await upgraded.putSecretIfAbsent('ssh-identity', 'cac:v1:00000000:AAAA')).toBe('cac:v1:00000000:AAAA');
    await upgraded.close();
  });

  it("upgrades a schema-3 file (no claimant index yet): its claimants' boxes count toward max_per_claimant through the new index", async () => {
    const file = join(tempDir(), 'boxes.db');
    const first = new SqliteAgentBoxStore(file);
    const cold = await first.createBox({ repoUrl: REPO, baseBranch: 'main', claimant: 'bob', leaseExpiresAt: 9, deadlineAt: 9, now: 1 }, { idempotencyKey: 'bob-1' });
    await first.close();
    const db = new Database(file);
    db.exec('DROP INDEX boxes_claimant');
    db.pragma('user_version = 3');
    db.close();
    const upgraded = new SqliteAgentBoxStore(file);
    expect(await upgraded.createBoxIfRoom({ repoUrl: REPO, baseBranch: 'dev', claimant: 'bob', leaseExpiresAt: 9, deadlineAt: 9, now: 2 }, { idempotencyKey: 'bob-2', maxPerClaimant: 1 })).toEqual({
      refused: 'max_per_claimant',
      max: 1,
      count: 1,
    });
    expect(await upgraded.get(cold.id)).toEqual(cold);
    await upgraded.close();
    const check = new Database(file, { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(4);
    const plan = check.prepare("EXPLAIN QUERY PLAN SELECT COUNT(*) FROM boxes WHERE json_extract(body, '$.claimant') = ? AND state IN (?, ?)").all('bob', 'claimed', 'ready') as Array<{
      detail: string;
    }>;
    expect(plan.map((row) => row.detail).join('\n')).toContain('boxes_claimant');
    check.close();
  });

  it('opens and reads, writable or read-only, while another connection holds a write transaction', async () => {
    const file = join(tempDir(), 'boxes.db');
    const first = new SqliteAgentBoxStore(file);
    const box = await seedStandby(first, 1);
    await first.close();
    const writer = new Database(file);
    writer.exec('BEGIN IMMEDIATE');
    writer.prepare('UPDATE pools SET paused = 1').run();
    try {
      const readOnly = new SqliteAgentBoxStore(file, { readOnly: true, busyTimeoutMs: 100 });
      expect(await readOnly.list()).toEqual([box]);
      expect(await readOnly.get(box.id)).toEqual(box);
      expect((await readOnly.poolCounts(box.poolKey)).standby).toBe(1);
      await readOnly.close();
      const writable = new SqliteAgentBoxStore(file, { busyTimeoutMs: 100 });
      expect(await writable.list()).toEqual([box]);
      // a write waits for the lock, then says the store is busy (not a permissions problem)
      const error = await writable.createBox({ repoUrl: box.repoUrl, baseBranch: 'main', deadlineAt: 9, now: 2 }, { idempotencyKey: 'k' }).catch((e: unknown) => e);
      expect(isCacError(error) && error.code).toBe('ERR_STORE_BUSY');
      expect(isCacError(error) && error.hint).not.toMatch(/writable|permission/);
      await writable.close();
    } finally {
      writer.exec('ROLLBACK');
      writer.close();
    }
  });

  it("doctor's store row answers ok while another connection holds a write transaction", async () => {
    const stateDir = tempDir();
    const file = join(stateDir, 'boxes.db');
    await new SqliteAgentBoxStore(file).close();
    const writer = new Database(file);
    writer.exec('BEGIN IMMEDIATE');
    try {
      expect(await probeStore(defaultConfig(), stateDir)).toMatchObject({ name: 'store', status: 'ok' });
    } finally {
      writer.exec('ROLLBACK');
      writer.close();
    }
  });

  it('read-only: never writes the file, and reads a missing file as an empty store without making it', async () => {
    const dir = tempDir();
    const file = join(dir, 'boxes.db');
    const fresh = new SqliteAgentBoxStore(file, { readOnly: true });
    expect(await fresh.list()).toEqual([]);
    expect(await fresh.listFleetHosts()).toEqual([]);
    await fresh.close();
    expect(readdirSync(dir)).toEqual([]);
    await new SqliteAgentBoxStore(file).close();
    const readOnly = new SqliteAgentBoxStore(file, { readOnly: true });
    await expect(readOnly.setPaused('x#main', true)).rejects.toThrow(/readonly/);
    await readOnly.close();
    const check = new SqliteAgentBoxStore(file);
    expect((await check.getPoolHealth('x#main')).paused).toBe(false);
    await check.close();
  });

  it('refuses a file written by a newer schema', () => {
    const file = join(tempDir(), 'boxes.db');
    const db = new Database(file);
    db.pragma('user_version = 99');
    db.close();
    let error: unknown;
    try {
      new SqliteAgentBoxStore(file);
    } catch (e) {
      error = e;
    }
    expect(isCacError(error) && error.code).toBe('ERR_STORE_VERSION');
  });
});
