-- KEYS[1] = tenant prefix of the entry script this library runs in (no other KEYS or ARGV read here)
-- Library: a task's record and its place in the waiting structures.
--
-- A queued task sits in exactly one bucket wq:<queue>:<channel>:<lang|*>:<min prof> (its current
-- step decides lang and min prof), scored by queue order. Queued *and* offered tasks sit in
-- qall:<queue>:<channel> (positions) and qenq:<queue> (longest wait). Order within a queue:
-- requeued-at-head first, then effective priority (priority + aging_per_min x minutes waited),
-- then enqueue time. With one aging rate per queue that order never changes while tasks wait, so
-- the score is static; tasks of different queues are compared at `now` (A.better).

function A.task(t)
  local T = A.hash(K.task(t))
  if T == nil then return nil end
  T.id = t
  T.enq = tonumber(T.enq)
  T.prio = tonumber(T.prio or '0')
  T.pbase = tonumber(T.pbase or '0')
  T.step = tonumber(T.step or '1')
  T.head = tonumber(T.head or '0')
  T.answered = tonumber(T.answered or '0')
  T.direct = tonumber(T.direct or '0')
  T.inq = T.inq or ''
  T.wqk = T.wqk or ''
  T.rec = T.rec or ''
  return T
end

-- Seconds task T has waited while its queue was open (business hours): service level, ASA.
function A.open_wait(T, now)
  local wait = now - T.enq
  local hz = tonumber(T.hz)
  if hz then wait = wait - math.max(0, A.closed_cum(T.queue, now) - hz) end
  return math.max(0, wait)
end

-- Every write of a task's state or queue goes through here, so this is where a task with a
-- conversation record is marked for A.sync_records (run once, at the end of the call).
function A.set(T, ...)
  if T.rec ~= '' and not CACHE.records[T.id] then
    local args = {...}
    for i = 1, #args, 2 do
      if args[i] == 'state' or args[i] == 'queue' then CACHE.records[T.id] = true break end
    end
  end
  redis.call('HSET', K.task(T.id), ...)
end

function A.aging(Q) return tonumber(Q.aging_per_min) or 0 end

-- Smaller score = served first; the 1e14 offset puts requeued tasks before all others.
function A.order_score(T, Q)
  local aging = A.aging(Q)
  local s
  if aging > 0 then s = aging * T.enq / 60 - T.pbase else s = T.enq - T.pbase * 1e10 end
  if T.head == 1 then s = s - 1e14 end
  return s
end

-- Sort key for comparing tasks across queues at `now`: is task x ahead of task y?
function A.better(x, y, now)
  if x.head ~= y.head then return x.head > y.head end
  local ex = x.pbase + A.aging(A.queue(x.queue)) * (now - x.enq) / 60
  local ey = y.pbase + A.aging(A.queue(y.queue)) * (now - y.enq) / 60
  if ex ~= ey then return ex > ey end
  if x.enq ~= y.enq then return x.enq < y.enq end
  return x.id < y.id
end

-- Put a task into its queue's waiting sets and, unless it is about to be offered, into its
-- current step's bucket.
function A.enqueue(T, now, into_bucket)
  local Q = A.queue(T.queue)
  local st = Q.steps[T.step]
  local lang = st.relax_language and '*' or T.lang
  local sfx = T.ch .. ':' .. lang .. ':' .. (st.min_proficiency or 1)
  local score = A.order_score(T, Q)
  if T.wqk ~= '' then A.leave_bucket(T) end
  if T.inq ~= T.queue then
    if T.inq ~= '' then A.waiting_out(T, now) end
    redis.call('ZADD', K.queue_enqueued(T.queue), T.enq, T.id)
    A.log('win', now, {'task', T.id, 'q', T.queue, 'enq', T.enq})
    T.inq = T.queue
    T.hz = A.closed_cum(T.queue, now)  -- the queue's closed time so far: A.open_wait subtracts what follows
    A.set(T, 'hz', T.hz)
  end
  redis.call('ZADD', K.queue_order(T.queue, T.ch), score, T.id)
  if into_bucket ~= false then
    T.wqk, T.wqs = K.waiting_bucket(T.queue, sfx), sfx
    redis.call('ZADD', T.wqk, score, T.id)
    redis.call('SADD', K.waiting_buckets(T.queue), sfx)
  end
  T.state = 'queued'
  A.set(T, 'state', 'queued', 'inq', T.inq, 'wqk', T.wqk, 'wqs', sfx, 'agent', '', 'offer', '', 'direct', 0)
end

-- Leave the bucket (the task is being offered, or is about to move step or queue).
function A.leave_bucket(T)
  if T.wqk ~= '' then
    redis.call('ZREM', T.wqk, T.id)
    if redis.call('ZCARD', T.wqk) == 0 then redis.call('SREM', K.waiting_buckets(T.inq), T.wqs) end
    T.wqk = ''
    A.set(T, 'wqk', '')
  end
end

-- Leave the queue's waiting sets altogether (answered, abandoned, moved to another queue).
function A.waiting_out(T, now)
  A.leave_bucket(T)
  if T.inq ~= '' then
    redis.call('ZREM', K.queue_enqueued(T.inq), T.id)
    redis.call('ZREM', K.queue_order(T.inq, T.ch), T.id)
    A.log('wout', now, {'task', T.id, 'q', T.inq})
    T.inq = ''
    A.set(T, 'inq', '')
  end
end

-- The task is over: drop it from every live structure; the hash stays a day for look-ups.
function A.finish(T, now, reason)
  A.waiting_out(T, now)
  redis.call('ZREM', K.timers(), 'step|' .. T.id, 'wrap|' .. T.id)
  redis.call('DEL', K.task_tried(T.id))
  redis.call('SREM', K.tasks(), T.id)
  T.state = 'closed'
  A.set(T, 'state', 'closed', 'closed_at', now, 'agent', '', 'offer', '', 'close_reason', reason)
  redis.call('EXPIRE', K.task(T.id), 86400)
  -- the wrap-up code goes into the log too: the historical reports count codes from it
  local code = redis.call('HGET', K.task(T.id), 'wrapup_code')
  A.log('close', now, {'task', T.id, 'q', T.queue, 'reason', reason, 'code', code or ''})
end
