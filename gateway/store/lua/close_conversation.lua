-- Finish a conversation in the store, once: mark it closed unless the ACD already did (it writes
-- the record's state in the same step as it frees the agent's slot), drop it from the open index,
-- and tell exactly one caller that it was the one to finish it (that caller notifies everyone).
-- KEYS[1] = conversation hash, KEYS[2] = the tenant's open-conversations ZSET,
-- KEYS[3] = the tenant's archive outbox STREAM, KEYS[4] = its closed-conversations ZSET (eviction candidates)
-- ARGV[1] = conversation id, ARGV[2] = now, ARGV[3] = close reason
-- Returns 1 for the caller that finished it, 0 when unknown or already finished.
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('ZREM', KEYS[2], ARGV[1])
if redis.call('HSETNX', KEYS[1], 'ended', '1') == 0 then return 0 end
if redis.call('HGET', KEYS[1], 'state') ~= 'closed' then
  redis.call('HSET', KEYS[1], 'state', 'closed', 'closed_at', ARGV[2], 'close_reason', ARGV[3])
end
redis.call('HSET', KEYS[1], 'updated_at', ARGV[2])
local ov = redis.call('HINCRBY', KEYS[1], 'ov', 1)
redis.call('XADD', KEYS[3], '*', 'k', 'conv', 'c', ARGV[1], 'ov', ov, 'e', 'closed')  -- e: for the event webhooks
redis.call('ZADD', KEYS[4], ARGV[2], ARGV[1])
return 1
