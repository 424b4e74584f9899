-- Entry script: a gateway node renews its lease. When a lease runs out (timer "node|<id>"), the
-- node's agent sockets count as gone.
-- KEYS[1] = tenant prefix / KEYS[2] = node leases ZSET t:{tenant}:acd:nodes
-- ARGV[1] = now / ARGV[2] = node id / ARGV[3] = lease ttl in seconds
local now, node, ttl = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3])
redis.call('ZADD', KEYS[2], now + ttl, node)
redis.call('ZADD', K.timers(), now + ttl, 'node|' .. node)
return A.reply({})
