/**
 * The Lua scripts of the shared presence state (Redis runs each atomically). Keys, under a
 * prefix P:
 * - `P node:<id>`: a node's heartbeat, with a TTL; a node whose key expired is dead;
 * - `P nodes`: the set of node ids that wrote presence;
 * - `P ch:<channel>`: hash `<node id>|<subject>` → that node's streams of the subject there;
 * - `P nchan:<id>`: the channels where a node has entries (what reaping it must visit).
 * Counts are summed over live nodes only, so a dead node's members drop out of every answer
 * as soon as its heartbeat key expires, before anyone reaps it.
 */

/** Sums `subject`'s streams on one channel hash over live nodes (`self` counts as live). */
const total = `
local function total(P, ch, subject, self)
  local sum = 0
  local kv = redis.call('HGETALL', P .. 'ch:' .. ch)
  for i = 1, #kv, 2 do
    local sep = string.find(kv[i], '|', 1, true)
    local node = string.sub(kv[i], 1, sep - 1)
    if string.sub(kv[i], sep + 1) == subject and (node == self or redis.call('EXISTS', P .. 'node:' .. node) == 1) then
      sum = sum + tonumber(kv[i + 1])
    end
  end
  return sum
end
`;

/** KEYS: none. ARGV: prefix, node, channel, subject, delta (±1). Returns the subject's total after. */
export const changeScript = `${total}
local P, node, ch, subject, delta = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])
local field = node .. '|' .. subject
local n = redis.call('HINCRBY', P .. 'ch:' .. ch, field, delta)
if n <= 0 then redis.call('HDEL', P .. 'ch:' .. ch, field) else redis.call('SADD', P .. 'nchan:' .. node, ch) end
return total(P, ch, subject, node)
`;

/** ARGV: prefix, channel. Returns [subject, count, …] over live nodes. */
export const listScript = `
local P, ch = ARGV[1], ARGV[2]
local sums, order = {}, {}
local kv = redis.call('HGETALL', P .. 'ch:' .. ch)
for i = 1, #kv, 2 do
  local sep = string.find(kv[i], '|', 1, true)
  local node, subject = string.sub(kv[i], 1, sep - 1), string.sub(kv[i], sep + 1)
  if redis.call('EXISTS', P .. 'node:' .. node) == 1 then
    if sums[subject] == nil then sums[subject] = 0; order[#order + 1] = subject end
    sums[subject] = sums[subject] + tonumber(kv[i + 1])
  end
end
local out = {}
for _, s in ipairs(order) do out[#out + 1] = s; out[#out + 1] = sums[s] end
return out
`;

/**
 * Removes every entry of `node` (a dead node being reaped, or this node before rewriting its
 * own). ARGV: prefix, node, self. Returns [channel, subject, …] of subjects whose total over
 * live nodes fell to zero (they left). When reaping (node ≠ self) and the node is alive
 * again, does nothing.
 */
export const clearScript = `${total}
local P, node, self = ARGV[1], ARGV[2], ARGV[3]
if node ~= self and redis.call('EXISTS', P .. 'node:' .. node) == 1 then return {} end
local left = {}
for _, ch in ipairs(redis.call('SMEMBERS', P .. 'nchan:' .. node)) do
  local kv = redis.call('HGETALL', P .. 'ch:' .. ch)
  for i = 1, #kv, 2 do
    local sep = string.find(kv[i], '|', 1, true)
    if string.sub(kv[i], 1, sep - 1) == node then
      redis.call('HDEL', P .. 'ch:' .. ch, kv[i])
      local subject = string.sub(kv[i], sep + 1)
      if total(P, ch, subject, self) == 0 then left[#left + 1] = ch; left[#left + 1] = subject end
    end
  end
end
redis.call('DEL', P .. 'nchan:' .. node)
if node ~= self then redis.call('SREM', P .. 'nodes', node) end
return left
`;

/**
 * The heartbeat. ARGV: prefix, node, ttl ms. Returns 1 when the key was there (the node's
 * entries stand), 0 when it had expired or never existed (they may have been reaped:
 * rewrite them).
 */
export const heartbeatScript = `
local P, node, ttl = ARGV[1], ARGV[2], ARGV[3]
local was = redis.call('EXISTS', P .. 'node:' .. node)
redis.call('SET', P .. 'node:' .. node, '1', 'PX', ttl)
redis.call('SADD', P .. 'nodes', node)
return was
`;

/** ARGV: prefix, self. Returns the ids of nodes in the set whose heartbeat expired. */
export const deadNodesScript = `
local P, self = ARGV[1], ARGV[2]
local dead = {}
for _, n in ipairs(redis.call('SMEMBERS', P .. 'nodes')) do
  if n ~= self and redis.call('EXISTS', P .. 'node:' .. n) == 0 then dead[#dead + 1] = n end
end
return dead
`;
