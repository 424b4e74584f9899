-- An open callback ends (reached, failed or cancelled): its state, off the due list, the contact's
-- pointer freed (never a newer callback's), a cancelled one's slot place given back, and the figures.
-- KEYS[1] = the callback (HASH), KEYS[2] = the due list (ZSET), KEYS[3] = the contact's open pointer,
-- KEYS[4] = the queue's slot bookings for its language (HASH), KEYS[5] = this minute's figures,
-- KEYS[6] = today's figures, KEYS[7] = open per queue (HASH)
-- ARGV[1] = callback id, ARGV[2] = the final state, ARGV[3] = the states it may end from ("a,b"),
-- ARGV[4] = queue, ARGV[5] = minute TTL, ARGV[6] = day TTL
-- Returns the record after the change (HGETALL pairs), or an empty list when its state was not one of ARGV[3].
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {} end
local allowed = false
for s in string.gmatch(ARGV[3], '[^,]+') do
  if s == state then allowed = true end
end
if not allowed then return {} end
redis.call('HSET', KEYS[1], 'state', ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[1])
if redis.call('GET', KEYS[3]) == ARGV[1] then redis.call('DEL', KEYS[3]) end
local slot = redis.call('HGET', KEYS[1], 'slot') or ''
if ARGV[2] == 'cancelled' and slot ~= '' then
  if tonumber(redis.call('HGET', KEYS[4], slot) or '0') > 0 then redis.call('HINCRBY', KEYS[4], slot, -1) end
  redis.call('HSET', KEYS[1], 'slot', '')
end
local q = ARGV[4]
for _, key in ipairs({KEYS[5], KEYS[6]}) do
  redis.call('HINCRBY', key, q .. '|' .. ARGV[2], 1)
  if ARGV[2] == 'reached' then
    redis.call('HINCRBY', key, q .. '|attempts_reached', tonumber(redis.call('HGET', KEYS[1], 'attempts') or '0'))
  end
end
redis.call('EXPIRE', KEYS[5], ARGV[5])
redis.call('EXPIRE', KEYS[6], ARGV[6])
if tonumber(redis.call('HINCRBY', KEYS[7], q, -1)) < 0 then redis.call('HSET', KEYS[7], q, 0) end
return redis.call('HGETALL', KEYS[1])
