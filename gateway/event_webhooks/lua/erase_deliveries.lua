-- A contact's erasure, second step (gateway/event_webhooks/erasure.py): delete the deliveries (queued,
-- delivered or dead letters, with their bodies) whose ordering key erase_queues.lua marked as erased,
-- take them out of the dead letters, and remember their ids so that a replay answers "erased" (410).
-- A contact.erased delivery stays: it carries nothing of the person and must still go out.
-- KEYS[1] = erased ordering keys ZSET, KEYS[2] = erased delivery ids ZSET,
-- KEYS[3..2+m] = the delivery HASHes, KEYS[3+m..] = the dead letters ZSET of each subscription in ARGV
-- ARGV[1] = now, ARGV[2] = seconds an erased id is remembered, ARGV[3] = m, ARGV[4..3+m] = the delivery ids,
-- ARGV[4+m..] = subscription ids (in the order of their dead letters ZSETs)
-- Returns the number of deliveries deleted.
local now, m = tonumber(ARGV[1]), tonumber(ARGV[3])
local dead = {}
for i = 4 + m, #ARGV do dead[ARGV[i]] = KEYS[3 + m + (i - 4 - m)] end
local deleted = 0
for i = 1, m do
  local d = redis.call('HMGET', KEYS[2 + i], 'key', 'type', 'sub')
  if d[1] and d[2] ~= 'contact.erased' and redis.call('ZSCORE', KEYS[1], d[1]) then
    local did = ARGV[3 + i]
    redis.call('DEL', KEYS[2 + i])
    if d[3] and dead[d[3]] then redis.call('ZREM', dead[d[3]], did) end
    redis.call('ZADD', KEYS[2], now, did)
    deleted = deleted + 1
  end
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[2]))
return deleted
