// The Lua behind RedisAgentBoxStore: each multi-key change is one script, so it is atomic and one round trip.
// Layout under the prefix P (the scripts build the same names as redis-codec.ts):
//   P box:<id>                 hash of the box's fields (a null field is absent)
//   P idem:<key>               the box id recorded under an idempotency key
//   P pool:<poolKey>:<state>   sorted set of box ids by createdAt (one per pool and state)
//   P pools                    set of pool keys
//   P fleet:host:<hostId>      hash: boxId, leasedAt (absent when free), healthy 1/0, reason
//   P fleet:holder             hash boxId → hostId (one lease per box)
//   P fleet:hosts              set of host ids with a lease or a health record
//   P claimant:<name>          set of ids of boxes made for or claimed by <name> (max_per_claimant; checked on read)
//   P claimants:indexed        set once the claimant sets hold every record (made before them: added on first count)

/**
 * Lua the limited create and claim share: the counts are made inside the script, so a limit's check and
 * the write it guards are one atomic step. Each takes the prefix, a state list ('a,b,c') or a pool key.
 */
const COUNTS = `
local function split(list)
  local out = {}
  for s in string.gmatch(list, '[^,]+') do out[#out + 1] = s end
  return out
end
local function pool_count(prefix, pool, states)
  local n = 0
  for _, s in ipairs(states) do n = n + redis.call('ZCARD', prefix .. 'pool:' .. pool .. ':' .. s) end
  return n
end
local function fleet_count(prefix, pools, states)
  local n = 0
  for _, pool in ipairs(redis.call('SMEMBERS', pools)) do n = n + pool_count(prefix, pool, states) end
  return n
end
-- the boxes a claimant holds: the members of its index (P claimant:<name>) whose record still names it in
-- one of the states; a member that left them never returns to them, so it is dropped. Records made before
-- the index are added once, on the first count (marker P claimants:indexed).
local function held(prefix, pools, states, claimant)
  local counted = {}
  for _, s in ipairs(states) do counted[s] = true end
  if redis.call('EXISTS', prefix .. 'claimants:indexed') == 0 then
    for _, pool in ipairs(redis.call('SMEMBERS', pools)) do
      for _, s in ipairs(states) do
        for _, id in ipairs(redis.call('ZRANGE', prefix .. 'pool:' .. pool .. ':' .. s, 0, -1)) do
          local c = redis.call('HGET', prefix .. 'box:' .. id, 'claimant')
          if c then redis.call('SADD', prefix .. 'claimant:' .. c, id) end
        end
      end
    end
    redis.call('SET', prefix .. 'claimants:indexed', '1')
  end
  local key = prefix .. 'claimant:' .. claimant
  local n = 0
  for _, id in ipairs(redis.call('SMEMBERS', key)) do
    local cur = redis.call('HMGET', prefix .. 'box:' .. id, 'state', 'claimant')
    if cur[2] == claimant and counted[cur[1]] then n = n + 1 else redis.call('SREM', key, id) end
  end
  return n
end
`;

/**
 * KEYS: idem, box, index(requested), pools. ARGV: prefix, id, poolKey, createdAt, claimant ('' = a pool
 * box), maxPerClaimant, maxLive, maxInstances ('' = off), INSTANCE_STATES, CLAIMANT_STATES, field/value
 * pairs… The existing box under the key; else {'refused', limit, max, count} for the first limit reached
 * (in that order); else the new box.
 */
export const CREATE_BOX = `${COUNTS}
local existing = redis.call('GET', KEYS[1])
if existing then return redis.call('HGETALL', ARGV[1] .. 'box:' .. existing) end
local instance = split(ARGV[9])
local limits = {
  {'max_per_claimant', ARGV[6], function() return held(ARGV[1], KEYS[4], split(ARGV[10]), ARGV[5]) end},
  {'max_live', ARGV[7], function() return fleet_count(ARGV[1], KEYS[4], instance) end},
  {'max_instances', ARGV[8], function() return pool_count(ARGV[1], ARGV[3], instance) end},
}
for _, limit in ipairs(limits) do
  if limit[2] ~= '' then
    local n = limit[3]()
    if n >= tonumber(limit[2]) then return {'refused', limit[1], limit[2], n} end
  end
end
redis.call('SET', KEYS[1], ARGV[2])
if ARGV[5] ~= '' then redis.call('SADD', ARGV[1] .. 'claimant:' .. ARGV[5], ARGV[2]) end
redis.call('HSET', KEYS[2], unpack(ARGV, 11))
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[2])
redis.call('SADD', KEYS[4], ARGV[3])
return redis.call('HGETALL', KEYS[2])
`;

/**
 * KEYS: index(standby), index(claimed), pools. ARGV: prefix, claimant, leaseExpiresAt, now, maxPerClaimant
 * ('' = off), CLAIMANT_STATES. Pops the oldest, unless the claimant already holds maxPerClaimant boxes.
 */
export const CLAIM_STANDBY = `${COUNTS}
if ARGV[5] ~= '' and held(ARGV[1], KEYS[3], split(ARGV[6]), ARGV[2]) >= tonumber(ARGV[5]) then return false end
local popped = redis.call('ZPOPMIN', KEYS[1])
if #popped == 0 then return false end
local id = popped[1]
local box = ARGV[1] .. 'box:' .. id
redis.call('ZADD', KEYS[2], popped[2], id)
redis.call('HSET', box, 'state', 'claimed', 'claimant', ARGV[2], 'leaseExpiresAt', ARGV[3],
  'claimedAt', ARGV[4], 'updatedAt', ARGV[4], 'warm', '1')
redis.call('HINCRBY', box, 'fence', 1)
redis.call('SADD', ARGV[1] .. 'claimant:' .. ARGV[2], id)
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
  local cur = redis.call('HMGET', box, 'updatedAt', 'createdAt', 'idempotencyKey', 'state', 'claimant')
  local updated, created = tonumber(cur[1]), tonumber(cur[2])
  if updated and created and cur[4] == 'destroyed' and updated < tonumber(ARGV[2]) then
    redis.call('DEL', box)
    if cur[3] then redis.call('DEL', ARGV[1] .. 'idem:' .. cur[3]) end
    if cur[5] then redis.call('SREM', ARGV[1] .. 'claimant:' .. cur[5], id) end
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
