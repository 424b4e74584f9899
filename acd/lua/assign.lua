-- Entry script: a supervisor hands a waiting task (queued, or offered to someone) to one agent at
-- once, within that agent's capacity. An open offer is withdrawn in the same step, so a race with
-- that agent's accept has one winner: whoever runs first; the other gets offer_gone / invalid_state.
-- KEYS[1] = tenant prefix / KEYS[2] = task hash t:{tenant}:acd:t:<task id>
-- ARGV[1] = now / ARGV[2] = task id / ARGV[3] = agent id
-- Errors: unknown_task, invalid_state (already answered or in wrap-up), unknown_agent,
-- agent_unavailable (offline), over_capacity (no free slot of the task's channel).
local now, tid, a = tonumber(ARGV[1]), ARGV[2], ARGV[3]
if redis.call('EXISTS', KEYS[2]) == 0 then return A.fail('unknown_task', tid) end
local T = A.task(tid)
if T.state == 'closed' then return A.fail('unknown_task', tid) end
if T.state ~= 'queued' and T.state ~= 'offered' then return A.fail('invalid_state', T.state) end
local g = A.agent(a)
if g == nil then return A.fail('unknown_agent', a) end
if g.state == 'offline' then return A.fail('agent_unavailable', a) end
-- an offer to this very agent already holds one of its slots
local held = (T.state == 'offered' and T.agent == a) and 1 or 0
if g.load[T.ch] - held >= A.cap(g, T.ch) then return A.fail('over_capacity', a) end

local prev = nil
if T.state == 'offered' then
  prev = A.agent(T.agent)
  A.revoke(T, prev, now, 'cancelled')
end
A.log('sup_assign', now, {'task', T.id, 'q', T.queue, 'agent', a, 'from', prev and prev.id or ''})
A.offer(T, g, now, true, true)
if prev and prev.id ~= a then A.agent_free(prev.id, now) end
return A.reply({state = T.state, previous = prev and prev.id or ''})
