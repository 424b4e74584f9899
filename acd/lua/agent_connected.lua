-- Entry script: an agent socket connected on a gateway node. Cancels a running grace period.
-- KEYS[1] = tenant prefix / KEYS[2] = agent's sockets hash t:{tenant}:acd:a:<agent>:socks
-- ARGV[1] = now / ARGV[2] = agent id / ARGV[3] = socket id / ARGV[4] = node id / ARGV[5] = lease ttl s
-- (a node that has no live lease yet gets one, as if it had just heartbeated)
-- Errors: unknown_agent.
local now, a, sid, node, ttl = tonumber(ARGV[1]), ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])
if redis.call('EXISTS', K.agent(a)) == 0 then return A.fail('unknown_agent', a) end
redis.call('HSET', KEYS[2], sid, node)
redis.call('SADD', K.node_sockets(node), a .. '|' .. sid)
local lease = tonumber(redis.call('ZSCORE', K.nodes(), node) or '')
if lease == nil or lease <= now then
  redis.call('ZADD', K.nodes(), now + ttl, node)
  redis.call('ZADD', K.timers(), now + ttl, 'node|' .. node)
end
redis.call('ZREM', K.timers(), 'grace|' .. a)
redis.call('HDEL', K.agent(a), 'disc_since')
A.log('connect', now, {'agent', a, 'sid', sid, 'node', node})
return A.reply({})
