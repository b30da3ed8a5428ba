// The embedded SQLite store under a writer: while another process holds a write transaction open (as a
// reconcile does between its reads and writes), bin/cac's read commands still answer, and a write says
// the store is busy (not that the state dir is unwritable).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteAgentBoxStore } from '../../src/adapters/store/sqlite.js';
import type { Box } from '../../src/domain/box.js';
import { runBin, tempHome } from '../helpers/run-cli.js';

const REPO = 'https://example.test/acme/app.git';
const { home, env } = tempHome();
const cac = (args: string[]) => runBin(args, { env });
const storeFile = join(env.XDG_STATE_HOME, 'cac', 'boxes.db');

describe('read commands while another process writes the SQLite store', () => {
  let box: Box;
  let writer: Database.Database;

  beforeAll(async () => {
    mkdirSync(join(env.XDG_CONFIG_HOME, 'cac'), { recursive: true });
    writeFileSync(join(env.XDG_CONFIG_HOME, 'cac', 'config.toml'), `[[pools]]\nrepo_url = "${REPO}"\nbase_branch = "main"\nmin_standby = 1\nmax_instances = 2\n`);
    const store = new SqliteAgentBoxStore(storeFile);
    const created = await store.createBox({ repoUrl: REPO, baseBranch: 'main', deadlineAt: Date.now() + 600_000, now: Date.now() }, { idempotencyKey: 'seed' });
    await store.transition(created.id, { from: 'requested', to: 'provisioning', now: Date.now() });
    box = (await store.transition(created.id, { from: 'provisioning', to: 'standby', now: Date.now() })) ?? created;
    await store.close();
    // the write lock, held until afterAll: every bin/cac below runs while it is taken
    writer = new Database(storeFile);
    writer.exec('BEGIN IMMEDIATE');
    writer.prepare(`UPDATE boxes SET state = 'failed'`).run();
  });

  afterAll(() => {
    writer.exec('ROLLBACK');
    writer.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('box list answers with the last committed boxes', async () => {
    const r = await cac(['box', 'list', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/locked/i);
    expect((JSON.parse(r.stdout) as { boxes: Box[] }).boxes).toEqual([expect.objectContaining({ id: box.id, state: 'standby' })]);
  });

  it('box show answers', async () => {
    const r = await cac(['box', 'show', box.id, '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { box: Box }).box).toMatchObject({ id: box.id, state: 'standby' });
  });

  it('pool status answers', async () => {
    const r = await cac(['pool', 'status', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { pools: unknown[] }).pools).toEqual([expect.objectContaining({ repoUrl: REPO, standby: 1 })]);
  });

  it('a write (box request) fails with ERR_STORE_BUSY and a hint about the other process, not about permissions', async () => {
    const r = await cac(['box', 'request', '--repo', REPO, '--json']);
    expect(r.exitCode).toBe(1);
    const doc = JSON.parse(r.stdout) as { code: string; hint?: string };
    expect(doc.code).toBe('ERR_STORE_BUSY');
    expect(doc.hint ?? '').not.toMatch(/writable|permission/);
  });
});
