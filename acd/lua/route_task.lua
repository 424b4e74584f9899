-- KEYS[1] = tenant prefix of the entry script this library runs in (no other KEYS or ARGV read here)
-- Library: THE ROUTING DECISION for a task (a task arrives, is requeued, or its step changes):
-- choose one agent among those eligible now, by the queue's policy, and offer it the task
-- (A.place); with nobody eligible the task waits in its bucket for A.agent_free.
--
-- Eligible = in ix:<skill>:<p>:<lang>:<channel> for some p >= the step's minimum proficiency
-- (lang "*" when the step relaxes language) and not in the task's tried set (agents who
-- declined it or let the offer expire). Policies:
--   longest_idle      lowest idle-since over the index heads p = min..5
--   least_occupancy   lowest occupancy (ixo heads), then idle-since
--   best_proficiency  highest p with anyone eligible, longest idle within it
-- Cost: at most 5 index heads (plus skipped tried agents), independent of the number of agents.

-- First member of a sorted set that is not in `tried` (pages through at most 256 members).
function A.first_untried(key, tried_key, has_tried)
  local page = has_tried and 16 or 1
  for start = 0, 255, page do
    local rows = redis.call('ZRANGE', key, start, start + page - 1, 'WITHSCORES')
    if #rows == 0 then return nil end
    for i = 1, #rows, 2 do
      if not has_tried or redis.call('SISMEMBER', tried_key, rows[i]) == 0 then
        return rows[i], tonumber(rows[i + 1])
      end
    end
  end
  return nil
end

-- The agent to offer task T to now, or nil.
function A.choose_agent(T)
  A.flush()
  local Q = A.queue(T.queue)
  local st = Q.steps[T.step]
  local lang = st.relax_language and '*' or T.lang
  local minp = st.min_proficiency or 1
  local tried_key = K.task_tried(T.id)
  local has_tried = redis.call('EXISTS', tried_key) == 1
  local best, best_score
  if Q.policy == 'best_proficiency' then
    for p = 5, minp, -1 do
      best = A.first_untried(K.agent_index(Q.skill .. ':' .. p .. ':' .. lang .. ':' .. T.ch), tried_key, has_tried)
      if best then break end
    end
  else
    local index = (Q.policy == 'least_occupancy') and K.agent_occ_index or K.agent_index
    for p = minp, 5 do
      local a, score = A.first_untried(index(Q.skill .. ':' .. p .. ':' .. lang .. ':' .. T.ch), tried_key, has_tried)
      if a and (best == nil or score < best_score or (score == best_score and a < best)) then
        best, best_score = a, score
      end
    end
  end
  return best
end

-- Put a task that is not in a bucket into the line: offered at once when an agent is free (and
-- then never written into a bucket only to be taken out again), else into its bucket. A queue
-- outside its business hours offers nothing: the task waits for the opening (A.open_queue).
function A.place(T, now)
  if A.closed(T.queue, now) then
    A.enqueue(T, now, true)
    return
  end
  local a = A.choose_agent(T)
  A.enqueue(T, now, a == nil)
  if a then A.offer(T, A.agent(a), now, false) end
end
