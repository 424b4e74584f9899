-- KEYS[1] = tenant prefix of the entry script this library runs in (no other KEYS or ARGV read here)
-- Library: business hours as the routing decision sees them. The gateway works the schedule out
-- (time zones, holidays) and flips each queue at its boundaries through set_hours.lua; the state
-- lives in acd:hours (queue -> JSON, acd/hours.py reads the same form):
--   open      the state of the last flip
--   at        when that flip took effect
--   next      when the state changes next (the closing while open, the opening while closed);
--             absent: never (open around the clock, or closed until further notice)
--   next_iso  the opening as the operator's zone writes it (shown to supervisors), '' while open
--   mode      what work arriving closed does: 'wait' (queued, offered at the opening) or
--             'escalate' (it enters the queue's escalation step at once)
--   closed_s  seconds the queue was closed up to `at` (open-time waits subtract them)
--   closed_at, opened_at  the last closing and opening (open time of the statistics window)
-- A queue with no entry is open. Between a boundary and the flip (the loop runs every tick) the
-- scripts already read the new state from `next`, so no offer slips out after the closing.

function A.hours(q)
  local cached = CACHE.hours[q]
  if cached == nil then
    local raw = redis.call('HGET', K.hours(), q)
    cached = raw and cjson.decode(raw) or false
    CACHE.hours[q] = cached
  end
  return cached or nil
end

-- Is queue q closed at `now`?
function A.closed(q, now)
  local H = A.hours(q)
  if H == nil then return false end
  local nxt = tonumber(H.next)
  if H.open then return nxt ~= nil and now >= nxt end
  return nxt == nil or now < nxt
end

-- Seconds queue q has been closed from the start of its record up to `now`: a task's open-time
-- wait is its wait minus the growth of this figure while it waited.
function A.closed_cum(q, now)
  local H = A.hours(q)
  if H == nil then return 0 end
  local cs, nxt, at = tonumber(H.closed_s) or 0, tonumber(H.next), tonumber(H.at) or now
  if H.open then
    if nxt and now > nxt then cs = cs + (now - nxt) end
  else
    local till = now
    if nxt and nxt < now then till = nxt end
    cs = cs + math.max(0, till - at)
  end
  return cs
end

-- What work that arrives while q is closed does: 'wait' or 'escalate'.
function A.when_closed(q)
  local H = A.hours(q)
  return (H and H.mode == 'escalate') and 'escalate' or 'wait'
end

-- The queue's escalation step: the first with an overflow or alternatives for the customer (nil: none).
function A.escalation_step(Q)
  for i, st in ipairs(Q.steps) do
    if (type(st.overflow) == 'string' and st.overflow ~= '') or (type(st.escalate) == 'table' and #st.escalate > 0) then
      return i
    end
  end
  return nil
end

-- The queue opened: offer its waiting tasks, in line order, to the agents free for them (each
-- bucket from its head; a bucket whose next tasks find nobody is left to A.agent_free).
function A.open_queue(q, now)
  for _, sfx in ipairs(redis.call('SMEMBERS', K.waiting_buckets(q))) do
    local key = K.waiting_bucket(q, sfx)
    local skip = 0
    while skip < 8 do
      local head = redis.call('ZRANGE', key, skip, skip)
      if #head == 0 then break end
      local T = A.task(head[1])
      local a = T and A.choose_agent(T)
      if a then A.offer(T, A.agent(a), now, false) else skip = skip + 1 end
    end
  end
end
