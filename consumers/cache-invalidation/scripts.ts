/**
 * The cache's Lua scripts. Each runs atomically in Redis: that is what makes a refused
 * stale fill and an invalidation impossible to interleave.
 *
 * Key layout under a prefix P (default `outstream:cache:`):
 * - `P v:<key>`    the entry (encoded value), with a TTL
 * - `P t:<tag>`    a set of the keys filled under that tag
 * - `P w:<name>`   watermark of a key or tag: the global epoch of its last invalidation
 * - `P l:<key>`    the loader lock of a key (token, TTL renewed while loading)
 * - `P epoch`      the global invalidation counter (never reused, so no ABA)
 * - `P seq:<aggregate type>:<aggregate id>` highest event sequence the invalidation group applied
 * - `P stats`      counters shared by every process (hash)
 */

/**
 * FILL — KEYS: [stats, v:key, w:dep1…w:depN, t:tag1…t:tagM]
 * ARGV: [N, M, value, ttlMs, snapshot1…snapshotN, key]
 * Writes the entry only if no dependency (the key or one of its tags) was invalidated since
 * the loader's snapshot; else counts a refused stale fill. Returns 1 (filled) or 0 (refused).
 */
export const fillScript = `
local n = tonumber(ARGV[1])
local m = tonumber(ARGV[2])
local ttl = tonumber(ARGV[4])
for i = 1, n do
  local current = redis.call('GET', KEYS[2 + i]) or '0'
  if current ~= ARGV[4 + i] then
    redis.call('HINCRBY', KEYS[1], 'staleFillsRefused', 1)
    return 0
  end
end
redis.call('SET', KEYS[2], ARGV[3], 'PX', ttl)
local key = ARGV[5 + n]
for j = 1, m do
  local tag = KEYS[2 + n + j]
  redis.call('SADD', tag, key)
  -- A tag set lives as long as its longest-lived member may.
  if redis.call('PTTL', tag) < ttl then redis.call('PEXPIRE', tag, ttl) end
end
redis.call('HINCRBY', KEYS[1], 'fills', 1)
return 1
`;

/**
 * INVALIDATE — KEYS: [stats, epoch, seq (or the stats key again when there is no aggregate)]
 * ARGV: [prefix, watermarkTtlMs, sequence ('' for none), seqTtlMs, nKeys, key1…, tag1…]
 * Drops the entries and every member of the tags (no KEYS/SCAN: tags are sets), stamps a
 * fresh epoch on each key and tag so that in-flight fills started before are refused, and
 * records the aggregate's sequence watermark. Returns {keysDropped, tagMembersDropped,
 * epoch, replayed (1 when the sequence is not above the recorded one)}.
 */
export const invalidateScript = `
local prefix = ARGV[1]
local wmTtl = tonumber(ARGV[2])
local nKeys = tonumber(ARGV[5])
local epoch = redis.call('INCR', KEYS[2])
local dropped = 0
local fanout = 0
for i = 6, #ARGV do
  local name = ARGV[i]
  if i < 6 + nKeys then
    dropped = dropped + redis.call('DEL', prefix .. 'v:' .. name)
  else
    local tagKey = prefix .. 't:' .. name
    local members = redis.call('SMEMBERS', tagKey)
    fanout = fanout + #members
    -- DEL takes its keys as arguments: batches keep clear of Lua's stack limit.
    for first = 1, #members, 500 do
      local batch = {}
      for k = first, math.min(first + 499, #members) do batch[#batch + 1] = prefix .. 'v:' .. members[k] end
      dropped = dropped + redis.call('DEL', unpack(batch))
    end
    redis.call('DEL', tagKey)
  end
  redis.call('SET', prefix .. 'w:' .. name, epoch, 'PX', wmTtl)
end
local replayed = 0
if ARGV[3] ~= '' then
  local seq = tonumber(ARGV[3])
  local current = tonumber(redis.call('GET', KEYS[3]) or '0')
  if seq > current then
    redis.call('SET', KEYS[3], ARGV[3], 'PX', tonumber(ARGV[4]))
  else
    replayed = 1
  end
end
redis.call('HINCRBY', KEYS[1], 'invalidations', 1)
redis.call('HINCRBY', KEYS[1], 'entriesDropped', dropped)
redis.call('HINCRBY', KEYS[1], 'tagMembersDropped', fanout)
return {dropped, fanout, epoch, replayed}
`;

/** UNLOCK — KEYS: [l:key] ARGV: [token]. Deletes the lock only if this loader still holds it. */
export const unlockScript = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/** RENEW — KEYS: [l:key] ARGV: [token, ttlMs]. Extends the lock only if this loader still holds it. */
export const renewScript = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;
