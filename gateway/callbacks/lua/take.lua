-- Lease one due callback: its score moves past the lease, so no other process starts it meanwhile
-- (and it comes back to the list should this process die before the attempt is queued).
-- KEYS[1] = the due list (ZSET callback id -> due)
-- ARGV[1] = callback id, ARGV[2] = now (epoch s), ARGV[3] = lease end (epoch s)
-- Returns 1 when leased, 0 when it is not due (any more): taken by another process or ended.
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score or tonumber(score) > tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
return 1
