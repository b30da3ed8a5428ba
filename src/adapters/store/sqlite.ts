// The embedded default BoxStore: one SQLite file (WAL). Every read-check-write runs inside ONE
// `BEGIN IMMEDIATE` transaction, so it holds the write lock from the read on (docs/architecture.md rule 1).
// Readers never wait for a writer: WAL readers see the last commit, opening a current file takes no
// lock, and read commands open the file read-only.
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { CacError } from '../../errors.js';
import { applyPatch, assertTransition, BOX_DEFAULTS, BOX_STATES, CLAIMANT_STATES, INSTANCE_STATES, newBoxRecord, type Box, type BoxState, type NewBox } from '../../domain/box.js';
import type { BoxStore, ClaimOptions, CreateLimits, FleetHost, LimitRefusal, ListFilter, PoolCounts, PoolHealth, PoolStats, TransitionOptions, UpdateOptions } from '../../ports/box-store.js';
import { newBoxId } from '../../util/ids.js';
import { checkVersion, migrate, SQL, type FleetRow, type PoolRow } from './sqlite-schema.js';

type BodyRow = { body: string };

// a body written before a field existed reads with that field's empty value
const body = (text: string): Box => ({ ...BOX_DEFAULTS, ...(JSON.parse(text) as Omit<Box, keyof typeof BOX_DEFAULTS>) });
const parse = (row: BodyRow | undefined): Box | null => (row ? body(row.body) : null);
const marks = (values: readonly unknown[]): string => values.map(() => '?').join(', ');

export interface SqliteStoreOptions {
  /**
   * For commands that only read (box list/show, pool status, a dry run): the file is opened read-only,
   * so nothing can be written. A missing file reads as an empty store (nothing is created); an older
   * file is opened writable and upgraded.
   */
  readOnly?: boolean;
  /** How long a write waits for another process's write transaction; default 5 s. */
  busyTimeoutMs?: number;
}

/** The BoxStore in one SQLite file (one host); claims are one IMMEDIATE transaction. */
export class SqliteAgentBoxStore implements BoxStore {
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();

  /** Opens (creating 0600 in a 0700 dir when new) the store file, e.g. `$XDG_STATE_HOME/cac/boxes.db`. */
  constructor(
    private readonly file: string,
    opts: SqliteStoreOptions = {},
  ) {
    const timeout = opts.busyTimeoutMs ?? 5000;
    this.db = this.guard(() => (opts.readOnly && openCurrentReadOnly(file, timeout)) || openWritable(file, timeout));
  }

  /** Runs `fn`, turning SQLite's lock and permission errors into CacErrors that say what happened. */
  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      // a write on a read-only handle is a bug in the caller, not a file to fix: left as it is
      throw (this.db as Database.Database | undefined)?.readonly ? e : storeError(e, this.file);
    }
  }

  // statements are compiled once per SQL text: claims are hot
  private sql<P extends unknown[], R = unknown>(source: string): Database.Statement<P, R> {
    let statement = this.statements.get(source);
    if (!statement) {
      statement = this.db.prepare(source);
      this.statements.set(source, statement);
    }
    return statement as unknown as Database.Statement<P, R>;
  }

  private tx<T>(fn: () => T): T {
    return this.guard(() => this.db.transaction(fn).immediate());
  }

  private read(id: string): Box | null {
    return parse(this.sql<[string], BodyRow>('SELECT body FROM boxes WHERE id = ?').get(id));
  }

  /** The box when it is in `state` and has `fence` (each only when given); null otherwise. Call inside tx. */
  private readIfMatches(id: string, state: BoxState | undefined, fence: number | undefined): Box | null {
    const box = this.read(id);
    if (!box || (state !== undefined && box.state !== state) || (fence !== undefined && box.fence !== fence)) return null;
    return box;
  }

  private write(box: Box): Box {
    this.sql('UPDATE boxes SET state = ?, body = ? WHERE id = ?').run(box.state, JSON.stringify(box), box.id);
    return box;
  }

  async createBox(input: NewBox, opts: { idempotencyKey: string }): Promise<Box> {
    return this.tx(() => this.insert(input, opts.idempotencyKey, {}) as Box);
  }

  async createBoxIfRoom(input: NewBox, opts: { idempotencyKey: string } & CreateLimits): Promise<Box | LimitRefusal> {
    return this.tx(() => this.insert(input, opts.idempotencyKey, opts));
  }

  /** The record under the key, else the first limit reached, else a new record. Call inside tx. */
  private insert(input: NewBox, idempotencyKey: string, limits: CreateLimits): Box | LimitRefusal {
    const existing = parse(this.sql<[string], BodyRow>('SELECT body FROM boxes WHERE idempotency_key = ?').get(idempotencyKey));
    if (existing) return existing;
    const box = newBoxRecord(input, newBoxId(), idempotencyKey);
    const refusal = this.refusal(box, limits);
    if (refusal) return refusal;
    this.sql('INSERT INTO boxes (id, idempotency_key, pool_key, state, created_at, body) VALUES (?, ?, ?, ?, ?, ?)').run(
      box.id,
      box.idempotencyKey,
      box.poolKey,
      box.state,
      box.createdAt,
      JSON.stringify(box),
    );
    return box;
  }

  /** The first limit the new box would pass (each counted only when given); undefined when all have room. Call inside tx. */
  private refusal(box: Box, limits: CreateLimits): LimitRefusal | undefined {
    const checks: Array<[LimitRefusal['refused'], number | null | undefined, () => number]> = [
      ['max_per_claimant', box.claimant === null ? null : limits.maxPerClaimant, () => this.held(box.claimant ?? '')],
      ['max_live', limits.maxLive, () => this.count(`state IN (${marks(INSTANCE_STATES)})`, ...INSTANCE_STATES)],
      ['max_instances', limits.maxInstances, () => this.count(`pool_key = ? AND state IN (${marks(INSTANCE_STATES)})`, box.poolKey, ...INSTANCE_STATES)],
    ];
    for (const [refused, max, count] of checks) {
      if (max === null || max === undefined) continue;
      const n = count();
      if (n >= max) return { refused, max, count: n };
    }
    return undefined;
  }

  private count(where: string, ...params: string[]): number {
    return this.sql<string[], { n: number }>(`SELECT COUNT(*) AS n FROM boxes WHERE ${where}`).get(...params)?.n ?? 0;
  }

  /** Boxes the claimant holds (CLAIMANT_STATES), through the index boxes_claimant (the same expression). */
  private held(claimant: string): number {
    return this.count(`json_extract(body, '$.claimant') = ? AND state IN (${marks(CLAIMANT_STATES)})`, claimant, ...CLAIMANT_STATES);
  }

  async claimStandby(poolKey: string, opts: ClaimOptions): Promise<Box | null> {
    return this.tx(() => {
      if (opts.maxPerClaimant !== undefined && opts.maxPerClaimant !== null && this.held(opts.claimant) >= opts.maxPerClaimant) return null;
      const oldest = parse(this.sql<[string], BodyRow>(`SELECT body FROM boxes WHERE pool_key = ? AND state = 'standby' ORDER BY created_at, seq LIMIT 1`).get(poolKey));
      if (!oldest) return null;
      return this.write({
        ...oldest,
        state: 'claimed',
        claimant: opts.claimant,
        leaseExpiresAt: opts.now + opts.leaseMs,
        claimedAt: opts.now,
        updatedAt: opts.now,
        warm: true,
        fence: oldest.fence + 1,
      });
    });
  }

  async transition(id: string, opts: TransitionOptions): Promise<Box | null> {
    assertTransition(opts.from, opts.to);
    return this.tx(() => {
      const box = this.readIfMatches(id, opts.from, opts.fence);
      return box && this.write({ ...applyPatch(box, opts.patch ?? {}, opts.now), state: opts.to });
    });
  }

  async update(id: string, opts: UpdateOptions): Promise<Box | null> {
    return this.tx(() => {
      const box = this.readIfMatches(id, opts.state, opts.fence);
      return box && this.write(applyPatch(box, opts.patch, opts.now));
    });
  }

  async bumpFence(id: string, opts: { state: BoxState; fence: number; now: number }): Promise<Box | null> {
    return this.tx(() => {
      const box = this.readIfMatches(id, opts.state, opts.fence);
      return box && this.write({ ...box, fence: box.fence + 1, updatedAt: opts.now });
    });
  }

  async get(id: string): Promise<Box | null> {
    return this.read(id);
  }

  async list(filter: ListFilter = {}): Promise<Box[]> {
    const states = filter.states ?? BOX_STATES;
    if (states.length === 0) return [];
    const where = [`state IN (${marks(states)})`];
    const params: string[] = [...states];
    if (filter.poolKey !== undefined) {
      where.push('pool_key = ?');
      params.push(filter.poolKey);
    }
    const rows = this.sql<string[], BodyRow>(`SELECT body FROM boxes WHERE ${where.join(' AND ')} ORDER BY created_at, seq`).all(...params);
    return rows.map((row) => body(row.body));
  }

  async poolCounts(poolKey: string): Promise<PoolCounts> {
    const counts = Object.fromEntries(BOX_STATES.map((s) => [s, 0])) as PoolCounts;
    const sql = 'SELECT state, COUNT(*) AS n FROM boxes WHERE pool_key = ? GROUP BY state';
    const rows = this.sql<[string], { state: BoxState; n: number }>(sql).all(poolKey);
    for (const row of rows) counts[row.state] = row.n;
    return counts;
  }

  async acquireLock(name: string, token: string, ttlMs: number): Promise<boolean> {
    const now = Date.now();
    return this.guard(() => this.sql(SQL.takeLock).run(name, token, now + ttlMs, now).changes === 1);
  }

  async extendLock(name: string, token: string, ttlMs: number): Promise<boolean> {
    const now = Date.now();
    return this.guard(() => this.sql(SQL.extendLock).run(now + ttlMs, name, token, now).changes === 1);
  }

  async releaseLock(name: string, token: string): Promise<boolean> {
    return this.guard(() => this.sql(SQL.releaseLock).run(name, token, Date.now()).changes === 1);
  }

  async holdsLock(name: string, token: string): Promise<boolean> {
    return this.sql<[string, string, number], { n: number }>(SQL.holdsLock).get(name, token, Date.now()) !== undefined;
  }

  async recordFailure(poolKey: string, now: number): Promise<number> {
    return this.guard(() => this.sql<[string, number], { consecutive_failures: number }>(SQL.recordFailure).get(poolKey, now)?.consecutive_failures ?? 0);
  }

  async resetFailures(poolKey: string): Promise<void> {
    this.guard(() => this.sql('UPDATE pools SET consecutive_failures = 0 WHERE pool_key = ?').run(poolKey));
  }

  async setPaused(poolKey: string, paused: boolean): Promise<void> {
    this.guard(() => this.sql(SQL.setPaused).run(poolKey, paused ? 1 : 0));
  }

  private pool(poolKey: string): PoolRow | undefined {
    return this.sql<[string], PoolRow>('SELECT * FROM pools WHERE pool_key = ?').get(poolKey);
  }

  async getPoolHealth(poolKey: string): Promise<PoolHealth> {
    const row = this.pool(poolKey);
    return { consecutiveFailures: row?.consecutive_failures ?? 0, lastFailureAt: row?.last_failure_at ?? null, paused: row?.paused === 1 };
  }

  async recordClaim(poolKey: string, claim: { warm: boolean; latencyMs: number }): Promise<void> {
    this.guard(() => this.sql(SQL.recordClaim).run(poolKey, claim.warm ? 1 : 0, claim.warm ? 0 : 1, Math.round(claim.latencyMs)));
  }

  async recordProvision(poolKey: string, provision: { latencyMs: number }): Promise<void> {
    this.guard(() => this.sql(SQL.recordProvision).run(poolKey, Math.round(provision.latencyMs)));
  }

  async poolStats(poolKey: string): Promise<PoolStats> {
    const row = this.pool(poolKey);
    return {
      warmClaims: row?.warm_claims ?? 0,
      coldClaims: row?.cold_claims ?? 0,
      claimLatencyMsTotal: row?.claim_latency_ms_total ?? 0,
      claimCount: row?.claim_count ?? 0,
      provisionLatencyMsTotal: row?.provision_latency_ms_total ?? 0,
      provisionCount: row?.provision_count ?? 0,
      purgedBoxes: row?.purged_boxes ?? 0,
      purgedBoxMsTotal: row?.purged_box_ms_total ?? 0,
    };
  }

  async purgeDestroyed(before: number): Promise<string[]> {
    return this.tx(() => {
      const rows = this.sql<[number], BodyRow>(SQL.destroyedBefore).all(before);
      const ids: string[] = [];
      for (const row of rows) {
        const box = body(row.body);
        this.sql(SQL.addPurged).run(box.poolKey, Math.max(0, box.updatedAt - box.createdAt));
        this.sql('DELETE FROM boxes WHERE id = ?').run(box.id);
        ids.push(box.id);
      }
      return ids;
    });
  }

  async leaseFleetHost(candidates: readonly string[], boxId: string, now: number): Promise<string | null> {
    return this.tx(() => {
      const held = this.sql<[string], { host_id: string }>(SQL.fleetHeld).get(boxId);
      if (held) return held.host_id;
      for (const hostId of candidates) {
        const row = this.sql<[string], Pick<FleetRow, 'box_id' | 'healthy'>>(SQL.fleetHost).get(hostId);
        if (row && (row.box_id !== null || row.healthy !== 1)) continue;
        this.sql(SQL.fleetLease).run(hostId, boxId, now);
        return hostId;
      }
      return null;
    });
  }

  async releaseFleetHost(hostId: string, boxId: string): Promise<boolean> {
    return this.guard(() => this.sql(SQL.fleetRelease).run(hostId, boxId).changes === 1);
  }

  async setFleetHostHealth(hostId: string, healthy: boolean, reason?: string): Promise<void> {
    this.guard(() => this.sql(SQL.fleetHealth).run(hostId, healthy ? 1 : 0, healthy ? null : (reason ?? 'unhealthy')));
  }

  async listFleetHosts(): Promise<FleetHost[]> {
    return this.sql<[], FleetRow>(SQL.fleetList)
      .all()
      .map((r) => ({ hostId: r.host_id, boxId: r.box_id, leasedAt: r.leased_at, healthy: r.healthy === 1, reason: r.reason }));
  }

  async getSecret(name: string): Promise<string | null> {
    return this.sql<[string], { value: string }>(SQL.secretGet).get(name)?.value ?? null;
  }

  async putSecretIfAbsent(name: string, value: string): Promise<string> {
    return this.tx(() => {
      this.sql(SQL.secretPutIfAbsent).run(name, value);
      return this.sql<[string], { value: string }>(SQL.secretGet).get(name)?.value ?? value;
    });
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

/**
 * The file read-only when it exists at this cac's schema; an empty in-memory store when there is no file
 * (a reader creates nothing); undefined when the file must be upgraded first.
 */
function openCurrentReadOnly(file: string, timeout: number): Database.Database | undefined {
  if (!existsSync(file)) {
    const empty = new Database(':memory:');
    migrate(empty);
    return empty;
  }
  const db = new Database(file, { readonly: true, timeout });
  try {
    if (checkVersion(db) === 'current') return db;
  } catch (e) {
    db.close();
    throw e;
  }
  db.close();
  return undefined;
}

function openWritable(file: string, timeout: number): Database.Database {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  closeSync(openSync(file, 'a', 0o600)); // SQLite gives its -wal/-shm files the same mode
  const db = new Database(file, { timeout });
  try {
    // switching to WAL takes the write lock: only a new file needs it (a WAL file stays WAL)
    if (db.pragma('journal_mode', { simple: true }) !== 'wal') db.pragma('journal_mode = WAL');
    // WAL + NORMAL survives a process crash at any point; only an OS crash can lose the last commits
    db.pragma('synchronous = NORMAL');
    migrate(db);
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}

/** SQLite's busy and permission errors as CacErrors with the right hint; anything else unchanged. */
function storeError(e: unknown, file: string): unknown {
  if (e instanceof CacError || !(e instanceof Error)) return e;
  const code = (e as Error & { code?: string }).code ?? '';
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new CacError('ERR_STORE_BUSY', `the box store ${file} is busy: another cac process holds its write lock`, {
      hint: 'try again in a moment; a process that keeps it (a stuck `cac` writing the store) must be stopped',
      cause: e,
    });
  }
  if (code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_PERM') || code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new CacError('ERR_STORE', `cannot open the box store ${file} for writing: ${e.message}`, {
      hint: 'make the state dir writable ($XDG_STATE_HOME/cac) or point [store] url at another file',
      cause: e,
    });
  }
  return e;
}
