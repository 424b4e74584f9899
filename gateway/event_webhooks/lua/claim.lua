-- Take one due queue (a subscription's deliveries for one conversation) for sending: its due time
-- becomes the lease's end, so no other process takes it meanwhile, and it counts against the
-- subscription's concurrency. A lease of a dead process simply runs out.
-- KEYS[1] = due ZSET, KEYS[2] = leases HASH, KEYS[3] = the subscription's in-flight ZSET
-- ARGV[1] = member "<sid>|<key>", ARGV[2] = now, ARGV[3] = lease seconds, ARGV[4] = token, ARGV[5] = max in flight, ARGV[6] = key
-- Returns 1 when taken, 0 when not due, taken by another process, or the subscription is at its limit.
local now = tonumber(ARGV[2])
local due = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not due or tonumber(due) > now then return 0 end
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
if redis.call('ZSCORE', KEYS[3], ARGV[6]) == false and redis.call('ZCARD', KEYS[3]) >= tonumber(ARGV[5]) then return 0 end
local till = now + tonumber(ARGV[3])
redis.call('ZADD', KEYS[1], till, ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[4])
redis.call('ZADD', KEYS[3], till, ARGV[6])
return 1
