// The Lua behind RedisAgentBoxStore: each multi-key change is one script, so it is atomic and one round trip.
// Layout under the prefix P (the scripts build the same names as redis-codec.ts):
//   P box:<id>                 hash of the box's fields (a null field is absent)
//   P idem:<key>               the box id recorded under an idempotency key
//   P pool:<poolKey>:<state>   sorted set of box ids by createdAt (one per pool and state)
//   P pools                    set of pool keys
//   P fleet:host:<hostId>      hash: boxId, leasedAt (absent when free), healthy 1/0, reason
//   P fleet:holder             hash boxId → hostId (one lease per box)
//   P fleet:hosts              set of host ids with a lease or a health record

/**
 * KEYS: idem, box, index(requested), pools, then the pool's indexes of the states counted against
 * maxLive. ARGV: prefix, id, poolKey, createdAt, maxLive ('' = no limit), field/value pairs… The
 * existing box under the key; else false when those indexes already hold maxLive boxes; else the new box.
 */
export const CREATE_BOX = `
local existing = redis.call('GET', KEYS[1])
if existing then return redis.call('HGETALL', ARGV[1] .. 'box:' .. existing) end
if ARGV[5] ~= '' then
  local live = 0
  for i = 5, #KEYS do live = live + redis.call('ZCARD', KEYS[i]) end
  if live >= tonumber(ARGV[5]) then return false end
end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('HSET', KEYS[2], unpack(ARGV, 6))
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[2])
redis.call('SADD', KEYS[4], ARGV[3])
return redis.call('HGETALL', KEYS[2])
`;

/** KEYS: index(standby), index(claimed). ARGV: prefix, claimant, leaseExpiresAt, now. Pops the oldest. */
export const CLAIM_STANDBY = `
local popped = redis.call('ZPOPMIN', KEYS[1])
if #popped == 0 then return false end
local id = popped[1]
local box = ARGV[1] .. 'box:' .. id
redis.call('ZADD', KEYS[2], popped[2], id)
redis.call('HSET', box, 'state', 'claimed', 'claimant', ARGV[2], 'leaseExpiresAt', ARGV[3],
  'claimedAt', ARGV[4], 'updatedAt', ARGV[4], 'warm', '1')
redis.call('HINCRBY', box, 'fence', 1)
return redis.call('HGETALL', box)
`;

/**
 * Compare-and-set. KEYS: box. ARGV: prefix, id, expected state ('' = any), expected fence ('' = any),
 * new state ('' = keep), now, n, then n field/value items to set, then fields to delete.
 */
export const CAS_BOX = `
local cur = redis.call('HMGET', KEYS[1], 'state', 'fence', 'poolKey', 'createdAt')
if not cur[1] then return false end
if ARGV[3] ~= '' and cur[1] ~= ARGV[3] then return false end
if ARGV[4] ~= '' and cur[2] ~= ARGV[4] then return false end
local to = ARGV[5]
if to ~= '' then
  local index = ARGV[1] .. 'pool:' .. cur[3] .. ':'
  redis.call('ZREM', index .. cur[1], ARGV[2])
  redis.call('ZADD', index .. to, cur[4], ARGV[2])
  redis.call('HSET', KEYS[1], 'state', to)
end
redis.call('HSET', KEYS[1], 'updatedAt', ARGV[6])
local n = tonumber(ARGV[7])
if n > 0 then redis.call('HSET', KEYS[1], unpack(ARGV, 8, 7 + n)) end
if #ARGV > 7 + n then redis.call('HDEL', KEYS[1], unpack(ARGV, 8 + n)) end
return redis.call('HGETALL', KEYS[1])
`;

/** KEYS: box. ARGV: expected state, expected fence, now. Increments the fence of a box still at both. */
export const BUMP_FENCE = `
local cur = redis.call('HMGET', KEYS[1], 'state', 'fence')
if not cur[1] or cur[1] ~= ARGV[1] or cur[2] ~= ARGV[2] then return false end
redis.call('HINCRBY', KEYS[1], 'fence', 1)
redis.call('HSET', KEYS[1], 'updatedAt', ARGV[3])
return redis.call('HGETALL', KEYS[1])
`;

/** KEYS: lock. ARGV: token, ttlMs. Extends only the holder's lock. */
export const EXTEND_LOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;

/** KEYS: lock. ARGV: token. Compare-and-delete. */
export const RELEASE_LOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/**
 * KEYS: holder, hosts. ARGV: prefix, boxId, now, candidate host ids… The box's host when it holds one,
 * else the first candidate neither leased nor unhealthy, now leased to the box; false when none is free.
 */
export const LEASE_FLEET_HOST = `
local held = redis.call('HGET', KEYS[1], ARGV[2])
if held then return held end
for i = 4, #ARGV do
  local host = ARGV[1] .. 'fleet:host:' .. ARGV[i]
  local cur = redis.call('HMGET', host, 'boxId', 'healthy')
  if not cur[1] and cur[2] ~= '0' then
    redis.call('HSET', host, 'boxId', ARGV[2], 'leasedAt', ARGV[3])
    redis.call('HSET', KEYS[1], ARGV[2], ARGV[i])
    redis.call('SADD', KEYS[2], ARGV[i])
    return ARGV[i]
  end
end
return false
`;

/** KEYS: host, holder. ARGV: boxId. Frees the host only when the box holds it. */
export const RELEASE_FLEET_HOST = `
if redis.call('HGET', KEYS[1], 'boxId') ~= ARGV[1] then return 0 end
redis.call('HDEL', KEYS[1], 'boxId', 'leasedAt')
redis.call('HDEL', KEYS[2], ARGV[1])
return 1
`;

/**
 * KEYS: index(destroyed) of one pool, stats of that pool. ARGV: prefix, before. Deletes the destroyed
 * boxes last written before `before` (hash, idempotency key, index entry), adding each one's box time
 * and count to the pool's stats; returns their ids. A record with no readable times is left alone.
 */
export const PURGE_DESTROYED = `
local purged = {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local box = ARGV[1] .. 'box:' .. id
  local cur = redis.call('HMGET', box, 'updatedAt', 'createdAt', 'idempotencyKey', 'state')
  local updated, created = tonumber(cur[1]), tonumber(cur[2])
  if updated and created and cur[4] == 'destroyed' and updated < tonumber(ARGV[2]) then
    redis.call('DEL', box)
    if cur[3] then redis.call('DEL', ARGV[1] .. 'idem:' .. cur[3]) end
    redis.call('ZREM', KEYS[1], id)
    redis.call('HINCRBY', KEYS[2], 'purgedBoxes', 1)
    redis.call('HINCRBY', KEYS[2], 'purgedBoxMsTotal', math.max(0, updated - created))
    purged[#purged + 1] = id
  end
end
return purged
`;

/** KEYS: secret. ARGV: value. Stores the value unless one is there; returns the stored one. */
export const PUT_SECRET_IF_ABSENT = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX') then return ARGV[1] end
return redis.call('GET', KEYS[1])
`;
