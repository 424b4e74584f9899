-- Entry script: the agent sends its wrap-up code during wrap-up; the slot frees now. Refused
-- while the conversation is still open: closing it is `close` (with a code, it skips wrap-up),
-- so the ACD never lets go of a conversation the agent still holds.
-- KEYS[1] = tenant prefix / KEYS[2] = task hash t:{tenant}:acd:t:<task id>
-- ARGV[1] = now / ARGV[2] = agent id / ARGV[3] = task id / ARGV[4] = wrap-up code
-- Errors: unknown_task, not_your_task, invalid_state (queued, offered or assigned).
local now, a, tid, code = tonumber(ARGV[1]), ARGV[2], ARGV[3], ARGV[4]
if redis.call('EXISTS', KEYS[2]) == 0 then return A.fail('unknown_task', tid) end
local T = A.task(tid)
if T.state == 'closed' then return A.reply({state = 'closed'}) end
if (T.state == 'assigned' or T.state == 'wrapup') and T.agent ~= a then return A.fail('not_your_task', tid) end
if T.state == 'assigned' then
  return A.fail('invalid_state', 'The conversation is still open; close it first.')
end
if T.state ~= 'wrapup' then
  return A.fail('invalid_state', 'The conversation has not been answered yet, so it has no wrap-up.')
end
if code == '' then code = '-' end
A.end_wrapup(T, A.agent(a), now, code)
return A.reply({state = T.state})
