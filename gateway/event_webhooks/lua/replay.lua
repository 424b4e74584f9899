-- Put a dead letter back at the end of its queue, as new (attempts 0, its retry window from now);
-- the receiver sees the same X-Omnirelay-Delivery id, so it can tell a replay from a new event.
-- A dead letter of an erased contact (its key marked by erase_queues.lua, its hash about to go) is not sent.
-- KEYS[1] = the dead letters ZSET, KEYS[2] = the delivery HASH, KEYS[3] = its queue LIST, KEYS[4] = due ZSET,
-- KEYS[5] = erased ordering keys ZSET, KEYS[6] = erased delivery ids ZSET
-- ARGV[1] = delivery id, ARGV[2] = now, ARGV[3] = member "<sid>|<key>", ARGV[4] = its ordering key
-- Returns 1, 0 when it is no dead letter (any more), -1 when it was erased with its contact.
if redis.call('ZSCORE', KEYS[6], ARGV[1]) then return -1 end
if redis.call('ZSCORE', KEYS[5], ARGV[4]) and redis.call('HGET', KEYS[2], 'type') ~= 'contact.erased' then return -1 end
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 or redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
redis.call('PERSIST', KEYS[2])
redis.call('HSET', KEYS[2], 'status', 'pending', 'attempts', 0, 'queued_at', ARGV[2], 'next_at', '', 'replayed_at', ARGV[2])
if redis.call('RPUSH', KEYS[3], ARGV[1]) == 1 then redis.call('ZADD', KEYS[4], 'NX', ARGV[2], ARGV[3]) end
return 1
