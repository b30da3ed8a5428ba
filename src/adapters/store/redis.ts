// The shared BoxStore for several hosts: Redis, with every multi-key change in one Lua script
// (redis-scripts.ts), so a claim is atomic and ONE round trip (EVALSHA through defineCommand).
import { Redis, type ChainableCommander } from 'ioredis';
import { assertTransition, BOX_STATES, byAge, CLAIMANT_STATES, INSTANCE_STATES, newBoxRecord, type Box, type BoxPatch, type BoxState, type NewBox } from '../../domain/box.js';
import { CacError, isCacError } from '../../errors.js';
import type { BoxStore, ClaimOptions, CreateLimits, FleetHost, LimitRefusal, ListFilter, PoolCounts, PoolHealth, PoolStats, TransitionOptions, UpdateOptions } from '../../ports/box-store.js';
import { newBoxId } from '../../util/ids.js';
import { answered, kvClient, once, urlOf } from './redis-connection.js';
import { corrupt, decodeBox, encodeFields, pairsToRecord, redisKeys } from './redis-codec.js';
export { storeUnreachable } from './redis-connection.js';
import { BUMP_FENCE, CAS_BOX, CLAIM_STANDBY, CREATE_BOX, EXTEND_LOCK, LEASE_FLEET_HOST, PURGE_DESTROYED, PUT_SECRET_IF_ABSENT, RELEASE_FLEET_HOST, RELEASE_LOCK } from './redis-scripts.js';

type Script = (...args: Array<string | number>) => Promise<unknown>;

/** The commands defineCommand adds to the client. */
interface Scripts {
  cacCreateBox: Script;
  cacClaimStandby: Script;
  cacCasBox: Script;
  cacBumpFence: Script;
  cacExtendLock: Script;
  cacReleaseLock: Script;
  cacLeaseFleetHost: Script;
  cacReleaseFleetHost: Script;
  cacPurgeDestroyed: Script;
  cacPutSecretIfAbsent: Script;
}

/** Options of the Redis store: key prefix, what to do with a record that does not decode. */
export interface RedisStoreOptions {
  /** Prepended to every key; default `cac:`. */
  prefix?: string;
  /**
   * Told once per record (per store) about a box hash that does not decode (ERR_STORE_CORRUPT, naming the
   * id, the field and what is wrong). Listings skip such a record and claims pass it by; cac never
   * repairs or deletes it, so `cac box show <id>` still names it for a person to fix.
   */
  onCorrupt?: (error: CacError) => void;
}

/** The seed's form: `kv` is an ioredis client (the store takes it over: close() quits it) or a `redis://`/`rediss://` URL. */
export interface RedisKvOptions extends RedisStoreOptions {
  kv: Redis | string;
}

/** Results of a pipeline or MULTI; the first command error is thrown. */
async function run(batch: ChainableCommander): Promise<unknown[]> {
  const replies = (await batch.exec()) ?? [];
  return replies.map(([error, value]) => {
    if (error) throw error;
    return value;
  });
}

const int = (value: string | undefined): number => (value === undefined ? 0 : Number(value));
/** A limit as a script argument: '' when off. */
const limitArg = (max: number | null | undefined): string | number => (max === null || max === undefined ? '' : max);

/** The BoxStore on Redis, for several hosts sharing pools: every multi-key change is one Lua script. */
export class RedisAgentBoxStore implements BoxStore {
  private readonly client: Redis;
  private readonly prefix: string;
  private readonly keys: ReturnType<typeof redisKeys>;
  private readonly scripts: Scripts;
  private readonly onCorrupt: (error: CacError) => void;
  private readonly reported = new Set<string>();
  /** Resolves once Redis answered (the `{ kv }` form checks it on first use); the client form trusts its caller. */
  private readonly ready: () => Promise<void>;

  /**
   * `new RedisAgentBoxStore(client, opts)`, or the seed's `new RedisAgentBoxStore({ kv })` with `kv` an ioredis
   * client or a `redis://` URL. Takes ownership of the client: close() quits it. The `{ kv }` form fails its
   * first call with ERR_STORE_UNREACHABLE when Redis does not answer within 5 s.
   */
  constructor(client: Redis, opts?: RedisStoreOptions);
  constructor(opts: RedisKvOptions);
  constructor(clientOrKv: Redis | RedisKvOptions, options: RedisStoreOptions = {}) {
    const kvForm = !(clientOrKv instanceof Redis) && 'kv' in clientOrKv;
    const opts = kvForm ? clientOrKv : options;
    const client = kvForm ? kvClient(clientOrKv.kv) : (clientOrKv as Redis);
    this.client = client;
    this.ready = kvForm ? once(() => answered(client, typeof clientOrKv.kv === 'string' ? clientOrKv.kv : urlOf(client))) : async () => undefined;
    this.prefix = opts.prefix ?? 'cac:';
    this.keys = redisKeys(this.prefix);
    this.onCorrupt = opts.onCorrupt ?? (() => {});
    client.defineCommand('cacCreateBox', { numberOfKeys: 4, lua: CREATE_BOX });
    client.defineCommand('cacClaimStandby', { numberOfKeys: 3, lua: CLAIM_STANDBY });
    client.defineCommand('cacCasBox', { numberOfKeys: 1, lua: CAS_BOX });
    client.defineCommand('cacBumpFence', { numberOfKeys: 1, lua: BUMP_FENCE });
    client.defineCommand('cacExtendLock', { numberOfKeys: 1, lua: EXTEND_LOCK });
    client.defineCommand('cacReleaseLock', { numberOfKeys: 1, lua: RELEASE_LOCK });
    client.defineCommand('cacLeaseFleetHost', { numberOfKeys: 2, lua: LEASE_FLEET_HOST });
    client.defineCommand('cacReleaseFleetHost', { numberOfKeys: 2, lua: RELEASE_FLEET_HOST });
    client.defineCommand('cacPurgeDestroyed', { numberOfKeys: 2, lua: PURGE_DESTROYED });
    client.defineCommand('cacPutSecretIfAbsent', { numberOfKeys: 1, lua: PUT_SECRET_IF_ABSENT });
    this.scripts = client as unknown as Scripts;
  }

  /** A store on a new connection to `url` (`redis://…` or `rediss://…`). */
  static connect(url: string, opts: RedisStoreOptions = {}): RedisAgentBoxStore {
    return new RedisAgentBoxStore(new Redis(url), opts);
  }

  async createBox(input: NewBox, opts: { idempotencyKey: string }): Promise<Box> {
    await this.ready();
    const created = await this.create(input, opts.idempotencyKey, {});
    if (!created || 'refused' in created) throw new CacError('ERR_STORE', `Redis did not return the box recorded under ${opts.idempotencyKey}`);
    return created;
  }

  async createBoxIfRoom(input: NewBox, opts: { idempotencyKey: string } & CreateLimits): Promise<Box | LimitRefusal> {
    await this.ready();
    const created = await this.create(input, opts.idempotencyKey, opts);
    if (!created) throw new CacError('ERR_STORE', `Redis did not return the box recorded under ${opts.idempotencyKey}`);
    return created;
  }

  private async create(input: NewBox, idempotencyKey: string, limits: CreateLimits): Promise<Box | LimitRefusal | null> {
    const box = newBoxRecord(input, newBoxId(), idempotencyKey);
    const k = this.keys;
    const reply = await this.scripts.cacCreateBox(
      k.idem(idempotencyKey),
      k.box(box.id),
      k.index(box.poolKey, box.state),
      k.pools,
      this.prefix,
      box.id,
      box.poolKey,
      box.createdAt,
      box.claimant ?? '',
      box.claimant === null ? '' : limitArg(limits.maxPerClaimant),
      limitArg(limits.maxLive),
      limitArg(limits.maxInstances),
      INSTANCE_STATES.join(','),
      CLAIMANT_STATES.join(','),
      ...encodeFields(box).set,
    );
    if (Array.isArray(reply) && reply[0] === 'refused') return { refused: reply[1] as LimitRefusal['refused'], max: Number(reply[2]), count: Number(reply[3]) };
    return this.decode(reply);
  }

  async claimStandby(poolKey: string, opts: ClaimOptions): Promise<Box | null> {
    await this.ready();
    const k = this.keys;
    const limit = limitArg(opts.maxPerClaimant);
    // a standby record that does not decode is handed to nobody: reported, left for repair, the next one taken
    for (;;) {
      const reply = await this.scripts.cacClaimStandby(
        k.index(poolKey, 'standby'),
        k.index(poolKey, 'claimed'),
        k.pools,
        this.prefix,
        opts.claimant,
        opts.now + opts.leaseMs,
        opts.now,
        limit,
        CLAIMANT_STATES.join(','),
      );
      const claimed = this.readable(() => this.decode(reply));
      if (claimed !== undefined) return claimed;
    }
  }

  async transition(id: string, opts: TransitionOptions): Promise<Box | null> {
    await this.ready();
    assertTransition(opts.from, opts.to);
    return this.cas(id, { state: opts.from, fence: opts.fence, to: opts.to, patch: opts.patch ?? {}, now: opts.now });
  }

  async update(id: string, opts: UpdateOptions): Promise<Box | null> {
    await this.ready();
    return this.cas(id, { state: opts.state, fence: opts.fence, patch: opts.patch, now: opts.now });
  }

  private async cas(id: string, c: { state?: BoxState; fence?: number; to?: BoxState; patch: BoxPatch; now: number }): Promise<Box | null> {
    const { set, del } = encodeFields(c.patch);
    const fence = c.fence === undefined ? '' : String(c.fence);
    const reply = await this.scripts.cacCasBox(this.keys.box(id), this.prefix, id, c.state ?? '', fence, c.to ?? '', c.now, set.length, ...set, ...del);
    return this.decode(reply);
  }

  async bumpFence(id: string, opts: { state: BoxState; fence: number; now: number }): Promise<Box | null> {
    await this.ready();
    return this.decode(await this.scripts.cacBumpFence(this.keys.box(id), opts.state, String(opts.fence), opts.now));
  }

  private decode(reply: unknown): Box | null {
    const record = pairsToRecord(reply);
    return record ? decodeBox(record, record.id === undefined ? undefined : this.keys.box(record.id)) : null;
  }

  /** The decoded box (or null); undefined, reported once, when the record does not decode. */
  private readable(decode: () => Box | null): Box | null | undefined {
    try {
      return decode();
    } catch (e) {
      if (!isCacError(e) || e.code !== 'ERR_STORE_CORRUPT') throw e;
      const id = String(e.details?.id ?? e.details?.key ?? '?');
      if (!this.reported.has(id)) {
        this.reported.add(id);
        this.onCorrupt(e);
      }
      return undefined;
    }
  }

  /** One box, or null; ERR_STORE_CORRUPT (naming the field) for a record that does not decode. */
  async get(id: string): Promise<Box | null> {
    await this.ready();
    const key = this.keys.box(id);
    return decodeBox(await this.client.hgetall(key), key);
  }

  async list(filter: ListFilter = {}): Promise<Box[]> {
    await this.ready();
    const pools = filter.poolKey !== undefined ? [filter.poolKey] : await this.client.smembers(this.keys.pools);
    const states = filter.states ?? BOX_STATES;
    const indexes = this.client.pipeline();
    for (const pool of pools) for (const state of states) indexes.zrange(this.keys.index(pool, state), 0, -1);
    const ids = (await run(indexes)).flatMap((reply) => (Array.isArray(reply) ? reply.filter((id): id is string => typeof id === 'string') : []));
    if (ids.length === 0) return [];
    const hashes = this.client.pipeline();
    for (const id of ids) hashes.hgetall(this.keys.box(id));
    const replies = await run(hashes);
    const boxes = replies.map((reply, i) => {
      const id = ids[i] ?? '';
      const key = this.keys.box(id);
      const hash = reply && typeof reply === 'object' ? (reply as Record<string, string>) : {};
      // an undecodable record is reported once and left out: one bad record must not hide the others
      return (
        this.readable(() => {
          if (Object.keys(hash).length === 0) throw corrupt(id, 'record', 'is missing, though a pool index lists it', key);
          return decodeBox(hash, key);
        }) ?? null
      );
    });
    return boxes.filter((b): b is Box => b !== null).sort(byAge);
  }

  async poolCounts(poolKey: string): Promise<PoolCounts> {
    await this.ready();
    const batch = this.client.pipeline();
    for (const state of BOX_STATES) batch.zcard(this.keys.index(poolKey, state));
    const replies = await run(batch);
    return Object.fromEntries(BOX_STATES.map((state, i) => [state, Number(replies[i] ?? 0)])) as PoolCounts;
  }

  async acquireLock(name: string, token: string, ttlMs: number): Promise<boolean> {
    await this.ready();
    return (await this.client.set(this.keys.lock(name), token, 'PX', ttlMs, 'NX')) === 'OK';
  }

  async extendLock(name: string, token: string, ttlMs: number): Promise<boolean> {
    await this.ready();
    return (await this.scripts.cacExtendLock(this.keys.lock(name), token, ttlMs)) === 1;
  }

  async releaseLock(name: string, token: string): Promise<boolean> {
    await this.ready();
    return (await this.scripts.cacReleaseLock(this.keys.lock(name), token)) === 1;
  }

  async holdsLock(name: string, token: string): Promise<boolean> {
    await this.ready();
    return (await this.client.get(this.keys.lock(name))) === token;
  }

  async recordFailure(poolKey: string, now: number): Promise<number> {
    await this.ready();
    const key = this.keys.health(poolKey);
    const [count] = await run(this.client.multi().hincrby(key, 'consecutiveFailures', 1).hset(key, 'lastFailureAt', now));
    return Number(count);
  }

  async resetFailures(poolKey: string): Promise<void> {
    await this.ready();
    await this.client.hset(this.keys.health(poolKey), 'consecutiveFailures', 0);
  }

  async setPaused(poolKey: string, paused: boolean): Promise<void> {
    await this.ready();
    await this.client.hset(this.keys.health(poolKey), 'paused', paused ? 1 : 0);
  }

  async getPoolHealth(poolKey: string): Promise<PoolHealth> {
    await this.ready();
    const h = await this.client.hgetall(this.keys.health(poolKey));
    return {
      consecutiveFailures: int(h.consecutiveFailures),
      lastFailureAt: h.lastFailureAt === undefined ? null : Number(h.lastFailureAt),
      paused: h.paused === '1',
    };
  }

  async recordClaim(poolKey: string, claim: { warm: boolean; latencyMs: number }): Promise<void> {
    await this.ready();
    const key = this.keys.stats(poolKey);
    await run(
      this.client
        .multi()
        .hincrby(key, claim.warm ? 'warmClaims' : 'coldClaims', 1)
        .hincrby(key, 'claimLatencyMsTotal', Math.round(claim.latencyMs))
        .hincrby(key, 'claimCount', 1),
    );
  }

  async recordProvision(poolKey: string, provision: { latencyMs: number }): Promise<void> {
    await this.ready();
    const key = this.keys.stats(poolKey);
    await run(this.client.multi().hincrby(key, 'provisionLatencyMsTotal', Math.round(provision.latencyMs)).hincrby(key, 'provisionCount', 1));
  }

  async poolStats(poolKey: string): Promise<PoolStats> {
    await this.ready();
    const h = await this.client.hgetall(this.keys.stats(poolKey));
    return {
      warmClaims: int(h.warmClaims),
      coldClaims: int(h.coldClaims),
      claimLatencyMsTotal: int(h.claimLatencyMsTotal),
      claimCount: int(h.claimCount),
      provisionLatencyMsTotal: int(h.provisionLatencyMsTotal),
      provisionCount: int(h.provisionCount),
      purgedBoxes: int(h.purgedBoxes),
      purgedBoxMsTotal: int(h.purgedBoxMsTotal),
    };
  }

  // one script per pool: each pool's purge and its totals are atomic together
  async purgeDestroyed(before: number): Promise<string[]> {
    const purged: string[] = [];
    for (const pool of await this.client.smembers(this.keys.pools)) {
      const ids = await this.scripts.cacPurgeDestroyed(this.keys.index(pool, 'destroyed'), this.keys.stats(pool), this.prefix, before);
      if (Array.isArray(ids)) purged.push(...ids.filter((id): id is string => typeof id === 'string'));
    }
    return purged;
  }

  async leaseFleetHost(candidates: readonly string[], boxId: string, now: number): Promise<string | null> {
    await this.ready();
    const reply = await this.scripts.cacLeaseFleetHost(this.keys.fleetHolder, this.keys.fleetHosts, this.prefix, boxId, now, ...candidates);
    return typeof reply === 'string' ? reply : null;
  }

  async releaseFleetHost(hostId: string, boxId: string): Promise<boolean> {
    await this.ready();
    return (await this.scripts.cacReleaseFleetHost(this.keys.fleetHost(hostId), this.keys.fleetHolder, boxId)) === 1;
  }

  async setFleetHostHealth(hostId: string, healthy: boolean, reason?: string): Promise<void> {
    await this.ready();
    const key = this.keys.fleetHost(hostId);
    const batch = this.client.multi().sadd(this.keys.fleetHosts, hostId);
    if (healthy) batch.hset(key, 'healthy', 1).hdel(key, 'reason');
    else batch.hset(key, 'healthy', 0, 'reason', reason ?? 'unhealthy');
    await run(batch);
  }

  async listFleetHosts(): Promise<FleetHost[]> {
    await this.ready();
    const ids = (await this.client.smembers(this.keys.fleetHosts)).sort();
    if (ids.length === 0) return [];
    const batch = this.client.pipeline();
    for (const id of ids) batch.hgetall(this.keys.fleetHost(id));
    const hashes = (await run(batch)) as Array<Record<string, string>>;
    return ids.map((hostId, i) => {
      const h = hashes[i] ?? {};
      return { hostId, boxId: h.boxId ?? null, leasedAt: h.leasedAt === undefined ? null : Number(h.leasedAt), healthy: h.healthy !== '0', reason: h.reason ?? null };
    });
  }

  async getSecret(name: string): Promise<string | null> {
    return this.client.get(this.keys.secret(name));
  }

  async putSecretIfAbsent(name: string, value: string): Promise<string> {
    return String(await this.scripts.cacPutSecretIfAbsent(this.keys.secret(name), value));
  }

  async close(): Promise<void> {
    // a client that never connected (lazy) has nothing to quit
    if (this.client.status === 'wait') this.client.disconnect();
    else await this.client.quit().catch(() => this.client.disconnect());
  }
}
