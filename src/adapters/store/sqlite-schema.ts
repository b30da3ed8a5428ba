// The SQLite layout: a box is one JSON body plus the columns the store queries by (kept in step on every write).
import type Database from 'better-sqlite3';
import { CacError } from '../../errors.js';

export const SCHEMA_VERSION = 1;

const DDL = `
CREATE TABLE boxes (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  idempotency_key TEXT NOT NULL UNIQUE,
  pool_key TEXT NOT NULL,
  state TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX boxes_pool_state ON boxes (pool_key, state, created_at, seq);
CREATE INDEX boxes_state ON boxes (state, created_at, seq);
CREATE TABLE locks (
  name TEXT PRIMARY KEY,
  token TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE TABLE pools (
  pool_key TEXT PRIMARY KEY,
  consecutive_failures INTEGER NOT NULL DEFAULT 0,
  last_failure_at INTEGER,
  paused INTEGER NOT NULL DEFAULT 0,
  warm_claims INTEGER NOT NULL DEFAULT 0,
  cold_claims INTEGER NOT NULL DEFAULT 0,
  claim_latency_ms_total INTEGER NOT NULL DEFAULT 0,
  claim_count INTEGER NOT NULL DEFAULT 0,
  provision_latency_ms_total INTEGER NOT NULL DEFAULT 0,
  provision_count INTEGER NOT NULL DEFAULT 0
);
`;

/** Creates the tables in a new file; refuses a file written by a newer cac. */
export function migrate(db: Database.Database): void {
  db.transaction(() => {
    const version = Number(db.pragma('user_version', { simple: true }));
    if (version === SCHEMA_VERSION) return;
    if (version > SCHEMA_VERSION) {
      throw new CacError('ERR_STORE_VERSION', `the box store ${db.name} has schema ${version}; this cac knows ${SCHEMA_VERSION}`, {
        hint: 'upgrade cac, or point [store] url at another file',
      });
    }
    db.exec(DDL);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}

/** The lock and pool statements (single statements: each is atomic on its own). */
export const SQL = {
  // insert, or take over only a lock whose lease has run out
  takeLock: `INSERT INTO locks (name, token, expires_at) VALUES (?, ?, ?)
    ON CONFLICT (name) DO UPDATE SET token = excluded.token, expires_at = excluded.expires_at WHERE locks.expires_at <= ?`,
  extendLock: 'UPDATE locks SET expires_at = ? WHERE name = ? AND token = ? AND expires_at > ?',
  releaseLock: 'DELETE FROM locks WHERE name = ? AND token = ? AND expires_at > ?',
  recordFailure: `INSERT INTO pools (pool_key, consecutive_failures, last_failure_at) VALUES (?, 1, ?)
    ON CONFLICT (pool_key) DO UPDATE SET consecutive_failures = consecutive_failures + 1, last_failure_at = excluded.last_failure_at
    RETURNING consecutive_failures`,
  setPaused: 'INSERT INTO pools (pool_key, paused) VALUES (?, ?) ON CONFLICT (pool_key) DO UPDATE SET paused = excluded.paused',
  recordClaim: `INSERT INTO pools (pool_key, warm_claims, cold_claims, claim_latency_ms_total, claim_count) VALUES (?, ?, ?, ?, 1)
    ON CONFLICT (pool_key) DO UPDATE SET warm_claims = warm_claims + excluded.warm_claims, cold_claims = cold_claims + excluded.cold_claims,
      claim_latency_ms_total = claim_latency_ms_total + excluded.claim_latency_ms_total, claim_count = claim_count + 1`,
  recordProvision: `INSERT INTO pools (pool_key, provision_latency_ms_total, provision_count) VALUES (?, ?, 1)
    ON CONFLICT (pool_key) DO UPDATE SET provision_latency_ms_total = provision_latency_ms_total + excluded.provision_latency_ms_total,
      provision_count = provision_count + 1`,
} as const;

/** A row of `pools`, as the health and stats queries read it. */
export interface PoolRow {
  consecutive_failures: number;
  last_failure_at: number | null;
  paused: number;
  warm_claims: number;
  cold_claims: number;
  claim_latency_ms_total: number;
  claim_count: number;
  provision_latency_ms_total: number;
  provision_count: number;
}
