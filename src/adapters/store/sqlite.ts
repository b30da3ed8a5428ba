// The embedded default BoxStore: one SQLite file (WAL). Every read-check-write runs inside ONE
// `BEGIN IMMEDIATE` transaction, so it holds the write lock from the read on (docs/architecture.md rule 1).
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { applyPatch, assertTransition, BOX_STATES, newBoxRecord, type Box, type BoxState, type NewBox } from '../../domain/box.js';
import type {
  BoxStore,
  ClaimOptions,
  FleetHost,
  ListFilter,
  PoolCounts,
  PoolHealth,
  PoolStats,
  TransitionOptions,
  UpdateOptions,
} from '../../ports/box-store.js';
import { newBoxId } from '../../util/ids.js';
import { migrate, SQL, type FleetRow, type PoolRow } from './sqlite-schema.js';

type BodyRow = { body: string };

const parse = (row: BodyRow | undefined): Box | null => (row ? (JSON.parse(row.body) as Box) : null);

export class SqliteAgentBoxStore implements BoxStore {
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();

  /** Opens (creating 0600 in a 0700 dir when new) the store file, e.g. `$XDG_STATE_HOME/cac/boxes.db`. */
  constructor(file: string) {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    closeSync(openSync(file, 'a', 0o600)); // SQLite gives its -wal/-shm files the same mode
    this.db = new Database(file);
    this.db.pragma('busy_timeout = 5000'); // first, so even the pragmas and the migration wait for a writer
    this.db.pragma('journal_mode = WAL');
    // WAL + NORMAL survives a process crash at any point; only an OS crash can lose the last commits
    this.db.pragma('synchronous = NORMAL');
    migrate(this.db);
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
    return this.db.transaction(fn).immediate();
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
    return this.tx(() => {
      const existing = parse(this.sql<[string], BodyRow>('SELECT body FROM boxes WHERE idempotency_key = ?').get(opts.idempotencyKey));
      if (existing) return existing;
      const box = newBoxRecord(input, newBoxId(), opts.idempotencyKey);
      this.sql('INSERT INTO boxes (id, idempotency_key, pool_key, state, created_at, body) VALUES (?, ?, ?, ?, ?, ?)')
        .run(box.id, box.idempotencyKey, box.poolKey, box.state, box.createdAt, JSON.stringify(box));
      return box;
    });
  }

  async claimStandby(poolKey: string, opts: ClaimOptions): Promise<Box | null> {
    return this.tx(() => {
      const oldest = parse(
        this.sql<[string], BodyRow>(`SELECT body FROM boxes WHERE pool_key = ? AND state = 'standby' ORDER BY created_at, seq LIMIT 1`).get(poolKey),
      );
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

  async get(id: string): Promise<Box | null> {
    return this.read(id);
  }

  async list(filter: ListFilter = {}): Promise<Box[]> {
    const states = filter.states ?? BOX_STATES;
    if (states.length === 0) return [];
    const where = [`state IN (${states.map(() => '?').join(', ')})`];
    const params: string[] = [...states];
    if (filter.poolKey !== undefined) {
      where.push('pool_key = ?');
      params.push(filter.poolKey);
    }
    const rows = this.sql<string[], BodyRow>(`SELECT body FROM boxes WHERE ${where.join(' AND ')} ORDER BY created_at, seq`).all(...params);
    return rows.map((row) => JSON.parse(row.body) as Box);
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
    return this.sql(SQL.takeLock).run(name, token, now + ttlMs, now).changes === 1;
  }

  async extendLock(name: string, token: string, ttlMs: number): Promise<boolean> {
    const now = Date.now();
    return this.sql(SQL.extendLock).run(now + ttlMs, name, token, now).changes === 1;
  }

  async releaseLock(name: string, token: string): Promise<boolean> {
    return this.sql(SQL.releaseLock).run(name, token, Date.now()).changes === 1;
  }

  async recordFailure(poolKey: string, now: number): Promise<number> {
    return this.sql<[string, number], { consecutive_failures: number }>(SQL.recordFailure).get(poolKey, now)?.consecutive_failures ?? 0;
  }

  async resetFailures(poolKey: string): Promise<void> {
    this.sql('UPDATE pools SET consecutive_failures = 0 WHERE pool_key = ?').run(poolKey);
  }

  async setPaused(poolKey: string, paused: boolean): Promise<void> {
    this.sql(SQL.setPaused).run(poolKey, paused ? 1 : 0);
  }

  private pool(poolKey: string): PoolRow | undefined {
    return this.sql<[string], PoolRow>('SELECT * FROM pools WHERE pool_key = ?').get(poolKey);
  }

  async getPoolHealth(poolKey: string): Promise<PoolHealth> {
    const row = this.pool(poolKey);
    return { consecutiveFailures: row?.consecutive_failures ?? 0, lastFailureAt: row?.last_failure_at ?? null, paused: row?.paused === 1 };
  }

  async recordClaim(poolKey: string, claim: { warm: boolean; latencyMs: number }): Promise<void> {
    this.sql(SQL.recordClaim).run(poolKey, claim.warm ? 1 : 0, claim.warm ? 0 : 1, Math.round(claim.latencyMs));
  }

  async recordProvision(poolKey: string, provision: { latencyMs: number }): Promise<void> {
    this.sql(SQL.recordProvision).run(poolKey, Math.round(provision.latencyMs));
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
    };
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
    return this.sql(SQL.fleetRelease).run(hostId, boxId).changes === 1;
  }

  async setFleetHostHealth(hostId: string, healthy: boolean, reason?: string): Promise<void> {
    this.sql(SQL.fleetHealth).run(hostId, healthy ? 1 : 0, healthy ? null : (reason ?? 'unhealthy'));
  }

  async listFleetHosts(): Promise<FleetHost[]> {
    return this.sql<[], FleetRow>(SQL.fleetList)
      .all()
      .map((r) => ({ hostId: r.host_id, boxId: r.box_id, leasedAt: r.leased_at, healthy: r.healthy === 1, reason: r.reason }));
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
