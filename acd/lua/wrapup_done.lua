-- Entry script: the agent sends its wrap-up code; the slot frees now. Sent before close, it
-- closes the conversation without wrap-up time.
-- KEYS[1] = tenant prefix / KEYS[2] = task hash t:{tenant}:acd:t:<task id>
-- ARGV[1] = now / ARGV[2] = agent id / ARGV[3] = task id / ARGV[4] = wrap-up code
-- Errors: unknown_task, not_your_task, invalid_state (queued or offered).
local now, a, tid, code = tonumber(ARGV[1]), ARGV[2], ARGV[3], ARGV[4]
if redis.call('EXISTS', KEYS[2]) == 0 then return A.fail('unknown_task', tid) end
local T = A.task(tid)
if T.state == 'closed' then return A.reply({state = 'closed'}) end
if T.state ~= 'wrapup' and T.state ~= 'assigned' then return A.fail('invalid_state', T.state) end
if T.agent ~= a then return A.fail('not_your_task', tid) end
if code == '' then code = '-' end
if T.state == 'wrapup' then
  A.end_wrapup(T, A.agent(a), now, code)
else
  A.close_assigned(T, A.agent(a), now, code)
end
return A.reply({state = T.state})
