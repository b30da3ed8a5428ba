// Key names and the box ⇄ Redis hash codec. A null field is absent from the hash; numbers are decimal
// strings; `warm` is 1/0; vmLocation, sshTarget, steps, workspace, head and activity are JSON (the Lua never reads them).
import { BOX_STATES, type Box, type BoxActivity, type BoxPatch, type BoxState, type BoxStep, type BoxWorkspace, type HeadCheck, type SshTarget, type VmLocation } from '../../domain/box.js';
import { CacError } from '../../errors.js';

/** Key builder for one prefix; redis-scripts.ts builds the same box and pool-index names in Lua. */
export function redisKeys(prefix: string) {
  return {
    box: (id: string) => `${prefix}box:${id}`,
    idem: (key: string) => `${prefix}idem:${key}`,
    index: (poolKey: string, state: BoxState) => `${prefix}pool:${poolKey}:${state}`,
    pools: `${prefix}pools`,
    lock: (name: string) => `${prefix}lock:${name}`,
    health: (poolKey: string) => `${prefix}health:${poolKey}`,
    stats: (poolKey: string) => `${prefix}stats:${poolKey}`,
    fleetHost: (hostId: string) => `${prefix}fleet:host:${hostId}`,
    fleetHolder: `${prefix}fleet:holder`,
    fleetHosts: `${prefix}fleet:hosts`,
    secret: (name: string) => `${prefix}secret:${name}`,
  };
}

function encodeValue(value: string | number | boolean | object): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return value ? '1' : '0';
  return JSON.stringify(value);
}

/** Fields to HSET (flat field/value list) and fields to HDEL (the nulls). */
export function encodeFields(fields: Partial<Box> | BoxPatch): { set: string[]; del: string[] } {
  const set: string[] = [];
  const del: string[] = [];
  for (const [field, value] of Object.entries(fields) as Array<[string, unknown]>) {
    if (value === undefined) continue;
    if (value === null) del.push(field);
    else set.push(field, encodeValue(value as string | number | boolean | object));
  }
  return { set, del };
}

/** A flat HGETALL reply from Lua (field, value, field, value…) as a record; null for a nil reply. */
export function pairsToRecord(reply: unknown): Record<string, string> | null {
  if (!Array.isArray(reply)) return null;
  const record: Record<string, string> = {};
  for (let i = 0; i + 1 < reply.length; i += 2) {
    const field: unknown = reply[i];
    const value: unknown = reply[i + 1];
    if (typeof field === 'string' && typeof value === 'string') record[field] = value;
  }
  return record;
}

/** A box hash that does not decode: says which record, which field and what is wrong with it. */
export function corrupt(id: string | undefined, field: string, problem: string, key?: string): CacError {
  const where = key ?? `the box hash of ${id ?? '?'}`;
  return new CacError('ERR_STORE_CORRUPT', `box ${id ?? key ?? '?'} in Redis cannot be read: ${field} ${problem}`, {
    hint: `cac leaves it as it is: inspect it with 'redis-cli HGETALL ${where}', then fix the field or delete the record`,
    details: { id: id ?? null, field, problem, ...(key ? { key } : {}) },
  });
}

/**
 * A box from its hash; null when the hash is empty (no such box). ERR_STORE_CORRUPT (naming the field
 * and what is wrong) when it does not decode; `key` names the hash in that error.
 */
export function decodeBox(h: Record<string, string>, key?: string): Box | null {
  if (Object.keys(h).length === 0) return null;
  const id = h.id;
  if (id === undefined) throw corrupt(undefined, 'id', 'is missing', key);
  const str = (f: string): string => {
    const v = h[f];
    if (v === undefined) throw corrupt(id, f, 'is missing', key);
    return v;
  };
  const num = (f: string): number => {
    const v = Number(str(f));
    if (!Number.isFinite(v)) throw corrupt(id, f, `is not a number (${JSON.stringify(h[f]?.slice(0, 40))})`, key);
    return v;
  };
  const optNum = (f: string): number | null => (h[f] === undefined ? null : num(f));
  const json = <T>(f: string, shape: 'object' | 'array'): T | null => {
    const v = h[f];
    if (v === undefined) return null;
    let parsed: unknown;
    try {
      parsed = JSON.parse(v);
    } catch {
      throw corrupt(id, f, 'is not valid JSON', key);
    }
    const ok = shape === 'array' ? Array.isArray(parsed) : typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
    if (!ok) throw corrupt(id, f, `is not a JSON ${shape}`, key);
    return parsed as T;
  };
  const state = str('state');
  if (!(BOX_STATES as readonly string[]).includes(state)) throw corrupt(id, 'state', `is not a box state (${JSON.stringify(state.slice(0, 40))})`, key);
  return {
    id,
    poolKey: str('poolKey'),
    repoUrl: str('repoUrl'),
    baseBranch: str('baseBranch'),
    branch: str('branch'),
    state: state as BoxState,
    claimant: h.claimant ?? null,
    leaseExpiresAt: optNum('leaseExpiresAt'),
    fence: num('fence'),
    idempotencyKey: str('idempotencyKey'),
    vmRef: h.vmRef ?? null,
    vmLocation: json<VmLocation>('vmLocation', 'object'),
    sshTarget: json<SshTarget>('sshTarget', 'object'),
    steps: json<BoxStep[]>('steps', 'array') ?? [],
    workspace: json<BoxWorkspace>('workspace', 'object'),
    error: h.error ?? null,
    warm: h.warm === undefined ? null : h.warm === '1',
    createdAt: num('createdAt'),
    updatedAt: num('updatedAt'),
    claimedAt: optNum('claimedAt'),
    readyAt: optNum('readyAt'),
    deadlineAt: num('deadlineAt'),
    releaseReason: h.releaseReason ?? null,
    activity: json<BoxActivity>('activity', 'object'),
    commit: h.commit ?? null,
    configHash: h.configHash ?? null,
    head: json<HeadCheck>('head', 'object'),
  };
}
