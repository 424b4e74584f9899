-- KEYS[1] = tenant prefix of the entry script this library runs in (no other KEYS or ARGV read here)
-- Library: routing steps. A task runs through its queue's steps while it waits: each step sets
-- the minimum proficiency and whether language is relaxed; a step with no eligible agent logged
-- in is skipped at once; an overflow step moves the task to another queue (same enqueue time,
-- steps start again there); an escalation step tells the gateway to offer email/callback while
-- the task stays queued. Step deadlines are timers ("step|<task>") fired by tick.

-- Is any agent logged in (not offline) who could take this task in this step?
function A.any_logged_in(T, Q, st)
  return A.logged_in_count(T, Q, st) > 0
end

-- Move the task into step `idx` of its queue (following overflows and skips). The caller then
-- calls A.enqueue. `quiet` suppresses escalation (re-entering the step it already was in).
function A.enter_steps(T, idx, now, quiet)
  local hops = 0
  while true do
    local Q = A.queue(T.queue)
    local n = #Q.steps
    if idx > n then idx = n end
    local st = Q.steps[idx]
    local target = st.overflow
    -- More than 8 overflows in one decision means a cycle of empty queues: stay where we are.
    if type(target) == 'string' and target ~= T.queue and A.queue(target) and hops < 8 then
      hops = hops + 1
      local from = T.queue
      A.waiting_out(T, now)
      redis.call('DEL', K.task_tried(T.id))
      T.queue = target
      T.pbase = T.prio + (tonumber(A.queue(target).priority) or 0)
      A.set(T, 'queue', T.queue, 'pbase', T.pbase)
      A.emit({kind = 'task_overflowed', task_id = T.id, from_queue = from, to_queue = target})
      A.log('overflow', now, {'task', T.id, 'from', from, 'q', target})
      idx = 1
    elseif idx < n and not A.closed(T.queue, now) and not A.any_logged_in(T, Q, st) then
      -- (nobody is logged in at night: a closed queue's steps start at the opening, not skipped)
      A.log('step_skip', now, {'task', T.id, 'q', T.queue, 'step', idx})
      idx = idx + 1
    else
      T.step = idx
      local deadline = ''
      if idx < n and type(st.timeout_s) == 'number' then
        deadline = now + st.timeout_s
        redis.call('ZADD', K.timers(), deadline, 'step|' .. T.id)
      elseif T.step_deadline and T.step_deadline ~= '' then
        redis.call('ZREM', K.timers(), 'step|' .. T.id)
      end
      T.step_deadline = deadline
      A.set(T, 'step', idx, 'step_deadline', deadline)
      if not quiet and type(st.escalate) == 'table' and #st.escalate > 0 then
        A.emit({kind = 'escalation_offered', task_id = T.id, queue = T.queue, options = st.escalate})
        A.log('escalate', now, {'task', T.id, 'q', T.queue, 'options', table.concat(st.escalate, ',')})
      end
      return
    end
  end
end

-- Back to waiting after an offer went nowhere: if the step ran out meanwhile, move on now.
function A.requeue(T, now)
  local Q = A.queue(T.queue)
  local deadline = tonumber(T.step_deadline or '')
  if deadline and deadline <= now and T.step < #Q.steps then
    A.leave_bucket(T)
    A.enter_steps(T, T.step + 1, now, false)
  end
  A.place(T, now)
end

-- Step timer: the task waited the step's timeout without being answered.
function A.step_timeout(tid, now)
  local T = A.task(tid)
  if T == nil or T.state ~= 'queued' then return end   -- an offered task moves on at requeue
  local deadline = tonumber(T.step_deadline or '')
  if deadline == nil or deadline > now then return end
  if A.closed(T.queue, now) then
    -- the step's time runs in open hours: it starts again at the opening (unknown: check again later)
    local H = A.hours(T.queue)
    local from = (H and not H.open and tonumber(H.next)) or now
    deadline = from + (tonumber(A.queue(T.queue).steps[T.step].timeout_s) or 60)
    T.step_deadline = deadline
    A.set(T, 'step_deadline', deadline)
    redis.call('ZADD', K.timers(), deadline, 'step|' .. T.id)
    return
  end
  A.leave_bucket(T)
  A.enter_steps(T, T.step + 1, now, false)
  A.place(T, now)
end
