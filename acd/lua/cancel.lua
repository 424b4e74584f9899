-- Entry script: the visitor gave up while waiting (counts as abandonment). On an answered task
-- it behaves like close without a code.
-- KEYS[1] = tenant prefix / KEYS[2] = task hash t:{tenant}:acd:t:<task id>
-- ARGV[1] = now / ARGV[2] = task id / ARGV[3] = reason
local now, tid, reason = tonumber(ARGV[1]), ARGV[2], ARGV[3]
if redis.call('EXISTS', KEYS[2]) == 0 then return A.reply({state = 'unknown'}) end
local T = A.task(tid)
if T.state == 'queued' or T.state == 'offered' then
  A.abandon(T, now, reason)
elseif T.state == 'assigned' then
  A.close_assigned(T, A.agent(T.agent), now, '', reason)
end
return A.reply({state = T.state})
