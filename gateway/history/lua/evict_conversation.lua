-- Remove a closed conversation from Redis once the archive holds all of it: its hash, messages,
-- client ids and delivery statuses, and its place in the indexes. Refused (0) while it is open or
-- while a change of it (ov) is not yet acknowledged by the archive (aov).
-- KEYS[1] = conversation hash, KEYS[2] = message stream, KEYS[3] = client-id hash, KEYS[4] = status hash,
-- KEYS[5] = the tenant's closed-conversations ZSET, KEYS[6] = its open-conversations ZSET,
-- KEYS[7] = the contact's conversations ZSET, KEYS[8] = the live (merged-into) contact's conversations ZSET,
-- KEYS[9] = its Slack thread HASH, KEYS[10] = its Slack posts LIST (gateway/slack): kept ARGV[2] seconds more, so an
-- erasure in that time still deletes the posts in Slack, and then gone
-- ARGV[1] = conversation id, ARGV[2] = how long the Slack records stay after eviction (s)
-- Returns 1 when evicted, 0 when kept (not closed, not archived yet), -1 when there was nothing left.
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('ZREM', KEYS[5], ARGV[1])
  return -1
end
local f = redis.call('HMGET', KEYS[1], 'state', 'ov', 'aov')
if f[1] ~= 'closed' then
  redis.call('ZREM', KEYS[5], ARGV[1])  -- reopened: a new close puts it back
  return 0
end
if tonumber(f[3] or '0') < tonumber(f[2] or '0') then return 0 end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
redis.call('EXPIRE', KEYS[9], ARGV[2])
redis.call('EXPIRE', KEYS[10], ARGV[2])
redis.call('ZREM', KEYS[5], ARGV[1])
redis.call('ZREM', KEYS[6], ARGV[1])
redis.call('ZREM', KEYS[7], ARGV[1])
redis.call('ZREM', KEYS[8], ARGV[1])
return 1
