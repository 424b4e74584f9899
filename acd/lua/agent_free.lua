-- KEYS[1] = tenant prefix of the entry script this library runs in (no other KEYS or ARGV read here)
-- Library: THE ROUTING DECISION for an agent whose slot frees (or who becomes available): offer
-- it the best waiting task it may take, again and again while it has room.
--
-- Each queue keeps wqne:<queue>, the set of its non-empty buckets "channel:lang:minprof"; the
-- agent reads the head of each bucket matching a channel it may take now, one of its languages
-- (or "*") and a minimum proficiency it meets, skipping tasks it declined or missed. Within a
-- queue the bucket scores compare directly; across queues A.better compares at `now`.
-- Cost: bounded by the config (queues x channels x languages x 5), not by agents or tasks.

-- Head of a bucket, skipping tasks this agent already declined or missed (at most 256 looked at).
function A.first_task_for(key, a)
  local page = 16
  for start = 0, 255, page do
    local rows = redis.call('ZRANGE', key, start, start + page - 1, 'WITHSCORES')
    if #rows == 0 then return nil end
    for i = 1, #rows, 2 do
      if redis.call('SISMEMBER', K.task_tried(rows[i]), a) == 0 then return rows[i], tonumber(rows[i + 1]) end
    end
  end
  return nil
end

-- The best task agent g may take now, or nil.
function A.best_task_for(g, now)
  local ok = A.offerable(g)
  if next(ok) == nil then return nil end
  local langs = {}
  for _, l in ipairs(A.langs_star(g)) do langs[l] = true end
  local best = nil
  for q, skill in pairs(A.cfg().queues) do
    local p = tonumber(g.skills[skill])
    if p and not A.closed(q, now) then  -- a closed queue's tasks wait for its opening
      local qbest, qscore
      for _, sfx in ipairs(redis.call('SMEMBERS', K.waiting_buckets(q))) do
        local parts = A.split(sfx, ':')
        if ok[parts[1]] and langs[parts[2]] and tonumber(parts[3]) <= p then
          local t, score = A.first_task_for(K.waiting_bucket(q, sfx), g.id)
          if t and (qbest == nil or score < qscore or (score == qscore and t < qbest)) then
            qbest, qscore = t, score
          end
        end
      end
      if qbest then
        local cand = A.task(qbest)
        if best == nil or A.better(cand, best, now) then best = cand end
      end
    end
  end
  return best
end

function A.agent_free(a, now)
  for _ = 1, 64 do
    local g = A.agent(a)
    if g == nil or g.state ~= 'available' then return end
    local T = A.best_task_for(g, now)
    if T == nil then return end
    A.offer(T, g, now, false)
  end
end
