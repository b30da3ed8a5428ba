// The SQLite layout: a box is one JSON body plus the columns the store queries by (kept in step on every write).
import type Database from 'better-sqlite3';
import { CacError } from '../../errors.js';

const SCHEMA_VERSION = 4;

// MIGRATIONS[v] takes a file from schema v to v + 1.
const V1 = `
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

const V2 = `
CREATE TABLE fleet_hosts (
  host_id TEXT PRIMARY KEY,
  box_id TEXT UNIQUE,
  leased_at INTEGER,
  healthy INTEGER NOT NULL DEFAULT 1,
  reason TEXT
);
`;

// totals of the destroyed records purged (keep_destroyed), so pool stats outlive the records; named
// blobs shared by every host of the store (the fleet SSH key's envelope)
const V3 = `
ALTER TABLE pools ADD COLUMN purged_boxes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE pools ADD COLUMN purged_box_ms_total INTEGER NOT NULL DEFAULT 0;
CREATE TABLE secrets (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
`;

// the boxes a claimant holds (max_per_claimant), counted at each limited claim: an index, not a scan
const V4 = `
CREATE INDEX boxes_claimant ON boxes (json_extract(body, '$.claimant'), state);
`;

const MIGRATIONS = [V1, V2, V3, V4];

/**
 * Whether the file is at this cac's schema ('current') or must be made or upgraded ('older'); refuses a
 * file written by a newer cac. Only reads: it waits for no writer.
 */
export function checkVersion(db: Database.Database): 'current' | 'older' {
  const version = Number(db.pragma('user_version', { simple: true }));
  if (version > SCHEMA_VERSION) {
    throw new CacError('ERR_STORE_VERSION', `the box store ${db.name} has schema ${version}; this cac knows ${SCHEMA_VERSION}`, {
      hint: 'upgrade cac, or point [store] url at another file',
    });
  }
  return version === SCHEMA_VERSION ? 'current' : 'older';
}

/**
 * Creates the tables in a new file, upgrades an older one; refuses a file written by a newer cac. A file
 * already current is only read, so opening the store never waits for another process's write.
 */
export function migrate(db: Database.Database): void {
  if (checkVersion(db) === 'current') return;
  db.transaction(() => {
    // again under the write lock: another process may have migrated meanwhile
    if (checkVersion(db) === 'current') return;
    const version = Number(db.pragma('user_version', { simple: true }));
    for (let v = version; v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v] ?? '');
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
  holdsLock: 'SELECT 1 AS n FROM locks WHERE name = ? AND token = ? AND expires_at > ?',
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
  destroyedBefore: `SELECT body FROM boxes WHERE state = 'destroyed' AND json_extract(body, '$.updatedAt') < ? ORDER BY created_at, seq`,
  addPurged: `INSERT INTO pools (pool_key, purged_boxes, purged_box_ms_total) VALUES (?, 1, ?)
    ON CONFLICT (pool_key) DO UPDATE SET purged_boxes = purged_boxes + 1, purged_box_ms_total = purged_box_ms_total + excluded.purged_box_ms_total`,
  // fleet leases: a lease is taken only on a free, healthy (or never seen) host; box_id is UNIQUE
  fleetHeld: 'SELECT host_id FROM fleet_hosts WHERE box_id = ?',
  fleetHost: 'SELECT box_id, healthy FROM fleet_hosts WHERE host_id = ?',
  fleetLease: `INSERT INTO fleet_hosts (host_id, box_id, leased_at) VALUES (?, ?, ?)
    ON CONFLICT (host_id) DO UPDATE SET box_id = excluded.box_id, leased_at = excluded.leased_at`,
  fleetRelease: 'UPDATE fleet_hosts SET box_id = NULL, leased_at = NULL WHERE host_id = ? AND box_id = ?',
  fleetHealth: `INSERT INTO fleet_hosts (host_id, healthy, reason) VALUES (?, ?, ?)
    ON CONFLICT (host_id) DO UPDATE SET healthy = excluded.healthy, reason = excluded.reason`,
  fleetList: 'SELECT host_id, box_id, leased_at, healthy, reason FROM fleet_hosts ORDER BY host_id',
  // shared secrets: the first writer wins, later ones read what it wrote
  secretGet: 'SELECT value FROM secrets WHERE name = ?',
  secretPutIfAbsent: 'INSERT INTO secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING',
} as const;

/** A row of `fleet_hosts`. */
export interface FleetRow {
  host_id: string;
  box_id: string | null;
  leased_at: number | null;
  healthy: number;
  reason: string | null;
}

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
  purged_boxes: number;
  purged_box_ms_total: number;
}
