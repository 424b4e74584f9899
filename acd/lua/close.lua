-- Entry script: the conversation ended (agent or visitor). Assigned: the slot goes into wrap-up
-- (or is freed at once with a wrap-up code or a queue without wrap-up time). Not yet answered:
-- an abandonment. Closed or unknown: nothing.
-- KEYS[1] = tenant prefix / KEYS[2] = task hash t:{tenant}:acd:t:<task id>
-- ARGV[1] = now / ARGV[2] = task id / ARGV[3] = wrap-up code ('' = none)
-- ARGV[4] = close reason (e.g. agent, visitor; kept as the record's close_reason)
local now, tid, code, reason = tonumber(ARGV[1]), ARGV[2], ARGV[3], ARGV[4]
if redis.call('EXISTS', KEYS[2]) == 0 then return A.reply({state = 'unknown'}) end
local T = A.task(tid)
if T.state == 'queued' or T.state == 'offered' then
  A.abandon(T, now, reason)
elseif T.state == 'assigned' then
  A.close_assigned(T, A.agent(T.agent), now, code, reason)
elseif T.state == 'wrapup' and code ~= '' then
  A.end_wrapup(T, A.agent(T.agent), now, code)
end
return A.reply({state = T.state})
