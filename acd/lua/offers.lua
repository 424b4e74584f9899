-- KEYS[1] = tenant prefix of the entry script this library runs in (no other KEYS or ARGV read here)
-- Library: offers and slots. An offer holds one of the agent's slots of the task's channel from
-- the moment it is written (so two decisions can never overfill an agent) until it is declined,
-- expires, is revoked, or the accepted conversation is closed and its wrap-up has ended.

-- `at_once`: straight to assigned (a supervisor's assign), as with an auto-answering agent.
function A.offer(T, g, now, direct, at_once)
  if T.state == 'queued' then A.leave_bucket(T) end
  local Q = A.queue(T.queue)
  local oid = 'o' .. redis.call('INCR', K.seq())
  local timeout = A.offer_timeout(Q, T.ch)
  T.state, T.agent, T.offer, T.offer_exp = 'offered', g.id, oid, now + timeout
  T.direct = direct and 1 or 0
  A.set(T, 'state', 'offered', 'agent', g.id, 'offer', oid, 'offer_at', now, 'offer_exp', T.offer_exp,
    'direct', T.direct)
  redis.call('HSET', K.offers(), oid, T.id)
  redis.call('SADD', K.agent_tasks(g.id), T.id)
  A.add_load(g, T.ch, 1)
  A.touch_idle(g, now)
  A.mark(g)
  A.count(T.queue, now, 'offer', {'task', T.id, 'agent', g.id, 'offer', oid}, {offers = 1})
  if g.auto == '1' or at_once then
    A.assign(T, g, now)
    return
  end
  redis.call('ZADD', K.timers(), T.offer_exp, 'offer|' .. oid)
  A.emit({kind = 'offered', offer_id = oid, task_id = T.id, agent_id = g.id, channel = T.ch,
    queue = T.queue, language = T.lang, waited_s = now - T.enq, expires_in_s = timeout, meta = T.meta})
end

-- The offer becomes the agent's conversation. Counts the answer once per task (first answer).
function A.assign(T, g, now)
  redis.call('HDEL', K.offers(), T.offer)
  redis.call('ZREM', K.timers(), 'offer|' .. T.offer, 'step|' .. T.id)
  A.waiting_out(T, now)
  T.state = 'assigned'
  local counters = {}
  if T.answered == 0 then
    T.answered = 1
    local wait_ms = A.ms(A.open_wait(T, now))  -- a night in a closed queue is not a wait
    local sla_ms = A.ms(tonumber(A.queue(T.queue).sla_threshold_s) or 20)
    counters = {answered = 1, wait_ms = wait_ms, in_sl = (wait_ms <= sla_ms) and 1 or 0}
  end
  A.set(T, 'state', 'assigned', 'assigned_at', now, 'step_deadline', '', 'answered', 1)
  if g.missed ~= 0 then
    g.missed = 0
    redis.call('HSET', K.agent(g.id), 'missed', 0)
  end
  A.count(T.queue, now, 'assign', {'task', T.id, 'agent', g.id, 'offer', T.offer}, counters)
  A.emit({kind = 'assigned', task_id = T.id, agent_id = g.id, channel = T.ch, queue = T.queue,
    offer_id = T.offer, waited_s = now - T.enq, meta = T.meta})
end

-- Take an open offer back from the agent; the caller requeues or finishes the task (a refused
-- offer: A.requeue_refused). reason: declined | expired | cancelled (task gone or agent no
-- longer available).
function A.revoke(T, g, now, reason)
  redis.call('HDEL', K.offers(), T.offer)
  redis.call('ZREM', K.timers(), 'offer|' .. T.offer)
  redis.call('SREM', K.agent_tasks(g.id), T.id)
  A.add_load(g, T.ch, -1)
  A.mark(g)
  local counters = {}
  if reason == 'declined' then counters.declined = 1 elseif reason == 'expired' then counters.missed = 1 end
  A.count(T.queue, now, 'revoke', {'task', T.id, 'agent', g.id, 'offer', T.offer, 'reason', reason}, counters)
  A.emit({kind = 'offer_revoked', offer_id = T.offer, task_id = T.id, agent_id = g.id, reason = reason,
    queue = T.queue, channel = T.ch})
  -- A task handed to one agent on purpose (transfer) goes back to the head of its queue.
  if T.direct == 1 then
    T.head = 1
    A.set(T, 'head', 1)
  end
  T.state, T.agent, T.offer = 'between', '', ''
  A.set(T, 'state', 'between', 'agent', '', 'offer', '')
end

-- Free the slot an assigned or wrapping-up task holds. `handled`: count its handle time.
function A.release(T, g, now, handled)
  redis.call('SREM', K.agent_tasks(g.id), T.id)
  redis.call('ZREM', K.timers(), 'wrap|' .. T.id)
  A.add_load(g, T.ch, -1)
  A.touch_idle(g, now)
  A.mark(g)
  local counters = {}
  local at = tonumber(T.assigned_at or '')
  if handled and at then counters = {handled = 1, handle_ms = A.ms(now - at)} end
  A.count(T.queue, now, 'release', {'task', T.id, 'agent', g.id}, counters)
end

-- Conversation over: into wrap-up (the slot stays busy) or, with a code or no wrap-up time, done.
-- `reason` (who or what closed it) is kept for the record and the end of wrap-up.
function A.close_assigned(T, g, now, code, reason)
  local wrapup = tonumber(A.queue(T.queue).wrapup_s) or 0
  if code == '' and wrapup > 0 then
    T.state = 'wrapup'
    A.set(T, 'state', 'wrapup', 'ended_at', now, 'close_reason', reason)
    redis.call('ZADD', K.timers(), now + wrapup, 'wrap|' .. T.id)
    A.log('wrapup', now, {'task', T.id, 'q', T.queue, 'agent', g.id})
    return
  end
  A.set(T, 'ended_at', now, 'wrapup_code', code)
  A.release(T, g, now, true)
  A.finish(T, now, reason)
  A.agent_free(g.id, now)
end

-- Wrap-up over (code sent or timer): free the slot and route the agent.
function A.end_wrapup(T, g, now, code)
  A.set(T, 'wrapup_code', code)
  A.release(T, g, now, true)
  A.finish(T, now, (T.close_reason and T.close_reason ~= '') and T.close_reason or 'closed')
  A.emit({kind = 'wrapup_ended', agent_id = g.id, task_id = T.id})
  A.agent_free(g.id, now)
end

-- The visitor left (or the conversation ended) before an agent answered: an abandonment.
function A.abandon(T, now, reason)
  local g = nil
  if T.state == 'offered' then
    g = A.agent(T.agent)
    A.revoke(T, g, now, 'cancelled')
  end
  local counters = {}
  if T.answered == 0 then
    -- given up before the queue was ever open for it: not a service-level failure
    if A.closed(T.queue, now) and A.ms(A.open_wait(T, now)) == 0 then
      counters.abandoned_closed = 1
    else
      counters.abandoned = 1
    end
  end
  A.count(T.queue, now, 'abandon', {'task', T.id, 'reason', reason}, counters)
  A.finish(T, now, reason)
  if g then A.agent_free(g.id, now) end
end
