-- KEYS[1] = tenant prefix of the entry script this library runs in (no other KEYS or ARGV read here)
-- Library: what happens after an agent declines or misses an offer. The agent goes into the
-- task's tried set (it is neither offered the task nor given it as its next work) for the
-- queue's decline_cooldown_s; a timer "cool|<agent>|<task>" takes it out again and routes the
-- agent, so the task does come back to it even if nothing else happens. With a cool-down of 0,
-- or when no other logged-in agent could take the task (waiting would strand the customer next
-- to the one agent who can help), the task may come back to the agent at once.
-- Cost: a handful of counter reads (A.any_logged_in's fields), independent of the number of agents.

-- Logged-in (not offline) agents who could take task T in step `st`, from the acd:in counters.
function A.logged_in_count(T, Q, st)
  local lang = st.relax_language and '*' or T.lang
  local fields = {}
  for p = (st.min_proficiency or 1), 5 do
    fields[#fields + 1] = Q.skill .. ':' .. p .. ':' .. lang .. ':' .. T.ch
  end
  local n = 0
  for _, v in ipairs(redis.call('HMGET', K.logged_in(), unpack(fields))) do n = n + (tonumber(v) or 0) end
  return n
end

-- Is agent g one of the agents A.logged_in_count counts?
function A.counted_in_step(g, T, Q, st)
  local p = tonumber(g.skills[Q.skill])
  if g.state == 'offline' or p == nil or p < (st.min_proficiency or 1) or A.cap(g, T.ch) <= 0 then return false end
  if st.relax_language then return true end
  for _, l in ipairs(g.langs) do if l == T.lang then return true end end
  return false
end

-- Seconds agent g must wait before task T comes back to it (0 = at once).
function A.cooldown_for(T, g)
  local Q = A.queue(T.queue)
  local cool = math.max(0, tonumber(Q.decline_cooldown_s) or 30)
  if cool == 0 then return 0 end
  local st = Q.steps[T.step]
  local others = A.logged_in_count(T, Q, st) - (A.counted_in_step(g, T, Q, st) and 1 or 0)
  if others <= 0 then return 0 end
  return cool
end

-- After A.revoke of a declined or expired offer: the task waits again (or goes to someone else)
-- and the agent gets the best work it may take. Even when the task may come back at once, the
-- agent gets it through A.agent_free, which respects the line (a better task it may take first).
function A.requeue_refused(T, g, now)
  local cool = A.cooldown_for(T, g)
  redis.call('SADD', K.task_tried(T.id), g.id)
  A.requeue(T, now)
  if cool > 0 then
    redis.call('ZADD', K.timers(), now + cool, 'cool|' .. g.id .. '|' .. T.id)
  else
    redis.call('SREM', K.task_tried(T.id), g.id)
  end
  A.agent_free(g.id, now)
end

-- Cool-down timer: the agent may have the task again. Nothing to do if the task left the queue
-- (its tried set went with it) or is closed.
function A.cooldown_over(id, now)
  local bar = string.find(id, '|', 1, true)
  if not bar then return end
  local a, tid = string.sub(id, 1, bar - 1), string.sub(id, bar + 1)
  if redis.call('SREM', K.task_tried(tid), a) == 0 then return end
  A.agent_free(a, now)
end
