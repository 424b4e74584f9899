-- Entry script: an agent socket went away. With no live socket left the grace period starts.
-- KEYS[1] = tenant prefix / KEYS[2] = agent's sockets hash t:{tenant}:acd:a:<agent>:socks
-- ARGV[1] = now / ARGV[2] = agent id / ARGV[3] = socket id / ARGV[4] = node id
-- Errors: unknown_agent.
local now, a, sid, node = tonumber(ARGV[1]), ARGV[2], ARGV[3], ARGV[4]
local g = A.agent(a)
if g == nil then return A.fail('unknown_agent', a) end
if redis.call('HGET', KEYS[2], sid) == node then redis.call('HDEL', KEYS[2], sid) end
redis.call('SREM', K.node_sockets(node), a .. '|' .. sid)
A.log('disconnect', now, {'agent', a, 'sid', sid, 'node', node})
A.maybe_start_grace(g, now, now)
return A.reply({})
