import { createHash } from 'node:crypto'

/** A Lua script and its SHA1, for EVALSHA with an EVAL fallback. */
export interface Script {
  readonly lua: string
  readonly sha: string
}

function script(lua: string): Script {
  return { lua, sha: createHash('sha1').update(lua).digest('hex') }
}

// Every script touches exactly one key, so it runs in one Cluster slot. Server time (TIME) is
// used where expiry is compared, so it agrees with the PEXPIREAT of the keys.

/**
 * Family key: create if absent. KEYS[1] family; ARGV version, subject, index score, json, pexpireat.
 * Returns 1 (created) or 0 (exists).
 */
export const CREATE = script(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 's', ARGV[2], 'x', ARGV[3], 'r', ARGV[4])
redis.call('PEXPIREAT', KEYS[1], ARGV[5])
return 1
`)

/**
 * Family key: compare-and-set. KEYS[1] family; ARGV expected version, next version, subject,
 * needed index score, whether the index already holds that score ('1'/'0'), json, pexpireat.
 * Returns 1 ok, 0 not found, -1 conflict, -2 corrupt, -3 subject mismatch, 2 index first.
 */
export const COMPARE_AND_SET = script(`
local t = redis.call('TYPE', KEYS[1]).ok
if t == 'none' then return 0 end
if t ~= 'hash' then return -2 end
local f = redis.call('HMGET', KEYS[1], 'v', 's', 'x', 'r')
if not f[1] or not f[2] or not f[3] or not f[4] then return -2 end
if not string.match(f[1], '^[0-9]+$') or not string.match(f[3], '^[0-9]+$') then return -2 end
if f[1] ~= ARGV[1] then return -1 end
if f[2] ~= ARGV[3] then return -3 end
if tonumber(ARGV[4]) > tonumber(f[3]) then
  if ARGV[5] ~= '1' then return 2 end
  redis.call('HSET', KEYS[1], 'x', ARGV[4])
end
redis.call('HSET', KEYS[1], 'v', ARGV[2], 'r', ARGV[6])
redis.call('PEXPIREAT', KEYS[1], ARGV[7])
return 1
`)

/**
 * Subject index: add (or raise) one family id, drop entries already expired, and keep the key
 * alive as long as its latest entry. KEYS[1] index; ARGV score, family id. Returns how many
 * entries the index holds now (what `create` reports as `families`).
 */
export const INDEX_ADD = script(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], 'GT', ARGV[1], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. now)
local top = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if top[2] then redis.call('PEXPIREAT', KEYS[1], top[2]) end
return redis.call('ZCARD', KEYS[1])
`)

/**
 * Subject index: one page. On the first page (cursor '0') expired entries are dropped first.
 * ZSCAN's cursor survives entries leaving between pages: an entry present for the whole walk is
 * returned at least once. KEYS[1] index; ARGV cursor, count. Returns { next cursor, ids... }.
 */
export const INDEX_PAGE = script(`
if ARGV[1] == '0' then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. now)
end
local page = redis.call('ZSCAN', KEYS[1], ARGV[1], 'COUNT', ARGV[2])
local out = { page[1] }
local entries = page[2]
for i = 1, #entries, 2 do out[#out + 1] = entries[i] end
return out
`)
