-- Entry script: an agent (or the engine on its behalf) changes state. Going available routes
-- waiting work to it; away revokes its open offers; offline also requeues its conversations.
-- KEYS[1] = tenant prefix / KEYS[2] = agent hash t:{tenant}:acd:a:<agent id>
-- ARGV[1] = now / ARGV[2] = agent id / ARGV[3] = available|away|offline / ARGV[4] = reason
-- ARGV[5] = '1': conversations given back are handed on calmly ('transferred'), else 'agent_offline'
-- Errors: unknown_agent, bad_request (unknown state).
local now, a, state, reason, calm = tonumber(ARGV[1]), ARGV[2], ARGV[3], ARGV[4], ARGV[5] == '1'
if state ~= 'available' and state ~= 'away' and state ~= 'offline' then return A.fail('bad_request', state) end
if redis.call('EXISTS', KEYS[2]) == 0 then return A.fail('unknown_agent', a) end
local g = A.agent(a)
if not A.set_state(g, state, reason, now, calm) and state == 'available' then A.agent_free(a, now) end
return A.reply({state = state})
