-- Entry script: move a task to another queue (steps start again there; it keeps its enqueue time
-- and first-answer statistics) or offer it to one named agent (if that offer is declined or
-- expires, the task goes back to the head of its queue). The previous agent's slot frees.
-- KEYS[1] = tenant prefix / KEYS[2] = task hash t:{tenant}:acd:t:<task id>
-- ARGV[1] = now / ARGV[2] = task id / ARGV[3] = target queue ('' = none) / ARGV[4] = target agent ('' = none)
-- ARGV[5] = '1': only a task still waiting (queued or offered: a supervisor's move), else '0'
-- Errors: unknown_task, invalid_state (in wrap-up / already that agent's), unknown_queue,
-- unknown_agent, agent_unavailable (offline), over_capacity (no free slot of the channel).
local now, tid, q2, a2 = tonumber(ARGV[1]), ARGV[2], ARGV[3], ARGV[4]
if redis.call('EXISTS', KEYS[2]) == 0 then return A.fail('unknown_task', tid) end
local T = A.task(tid)
if T.state == 'closed' then return A.fail('unknown_task', tid) end
if T.state == 'wrapup' then return A.fail('invalid_state', 'wrapup') end
if ARGV[5] == '1' and T.state ~= 'queued' and T.state ~= 'offered' then return A.fail('invalid_state', T.state) end
local target
if q2 ~= '' then
  if not A.queue(q2) then return A.fail('unknown_queue', q2) end
else
  target = A.agent(a2)
  if target == nil then return A.fail('unknown_agent', a2) end
  if target.state == 'offline' then return A.fail('agent_unavailable', a2) end
  if T.agent == a2 then return A.fail('invalid_state', 'already with that agent') end
  if target.load[T.ch] >= A.cap(target, T.ch) then return A.fail('over_capacity', a2) end
end

-- Let go of whoever holds the task now.
local prev = nil
if T.state == 'assigned' then
  prev = A.agent(T.agent)
  A.release(T, prev, now, true)
  T.state = 'between'
  A.set(T, 'state', 'between', 'agent', '')
elseif T.state == 'offered' then
  prev = A.agent(T.agent)
  A.revoke(T, prev, now, 'cancelled')
end

if q2 ~= '' then
  local from = T.queue
  A.waiting_out(T, now)
  redis.call('DEL', K.task_tried(T.id))
  T.queue = q2
  T.pbase = T.prio + (tonumber(A.queue(q2).priority) or 0)
  A.set(T, 'queue', q2, 'pbase', T.pbase)
  A.log('transfer', now, {'task', T.id, 'from', from, 'q', q2})
  A.emit({kind = 'task_requeued', task_id = T.id, queue = q2, reason = 'transferred', agent_id = prev and prev.id or ''})
  A.enter_steps(T, 1, now, false)
  A.place(T, now)
else
  A.log('transfer', now, {'task', T.id, 'q', T.queue, 'agent', a2})
  A.enqueue(T, now, false)
  target = A.agent(a2)
  A.offer(T, target, now, true)
end
if prev then A.agent_free(prev.id, now) end
return A.reply({state = T.state})
