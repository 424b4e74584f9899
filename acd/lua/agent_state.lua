-- KEYS[1] = tenant prefix of the entry script this library runs in (no other KEYS or ARGV read here)
-- Library: agent state changes (available / away / offline) and connection liveness.
--
-- Sockets are registered per gateway node (a:<agent>:socks sid -> node; node:<n>:socks); a node
-- keeps a lease in `nodes` by heartbeating. Sockets of a node whose lease ran out count as gone
-- and are removed in the same atomic step that looks at them. An agent with no live socket for
-- disconnect_grace_s goes offline, and its assigned conversations go back to the head of their
-- queue with their original enqueue time.

-- calm: the conversations going back in line are passed on like a transfer (a supervisor's or an
-- admin's doing, or the agent handing them back on purpose): the customer hears nothing alarming.
function A.set_state(g, new, reason, now, calm)
  local old = g.state
  if old == new then return false end
  if (old == 'offline') ~= (new == 'offline') then A.count_logged_in(g, new == 'offline' and -1 or 1) end
  if (old == 'available') ~= (new == 'available') then A.count_serving(g, new == 'available' and 1 or -1) end
  g.state = new
  redis.call('HSET', K.agent(g.id), 'state', new, 'state_since', now)
  if new == 'available' then
    g.missed = 0
    redis.call('HSET', K.agent(g.id), 'missed', 0)
    A.touch_idle(g, now)
  end
  A.mark(g)
  A.emit({kind = 'agent_state', agent_id = g.id, state = new, reason = reason})
  A.log('state', now, {'agent', g.id, 'state', new, 'from', old, 'reason', reason})
  if new == 'available' then
    A.agent_free(g.id, now)
    return true
  end
  -- Not available: open offers go to someone else; offline also gives back the conversations.
  local requeue = {}
  for _, tid in ipairs(redis.call('SMEMBERS', K.agent_tasks(g.id))) do
    local T = A.task(tid)
    if T and T.agent == g.id then
      if T.state == 'offered' then
        A.revoke(T, g, now, 'cancelled')
        requeue[#requeue + 1] = T
      elseif new == 'offline' and T.state == 'assigned' then
        A.release(T, g, now, false)
        T.head = 1
        A.set(T, 'head', 1, 'agent', '', 'state', 'between')
        local why = calm and 'transferred' or 'agent_offline'
        A.emit({kind = 'task_requeued', task_id = T.id, queue = T.queue, reason = why, agent_id = g.id})
        A.log('requeue', now, {'task', T.id, 'q', T.queue, 'agent', g.id, 'reason', why})
        A.enter_steps(T, T.step, now, true)
        requeue[#requeue + 1] = T
      elseif new == 'offline' and T.state == 'wrapup' then
        A.end_wrapup(T, g, now, '')
      end
    end
  end
  for _, T in ipairs(requeue) do A.requeue(T, now) end
  return true
end

-- Live sockets of an agent; sockets on nodes whose lease expired are removed on the way.
function A.live_sockets(a, now)
  local live = 0
  local socks = redis.call('HGETALL', K.agent_sockets(a))
  for i = 1, #socks, 2 do
    local sid, node = socks[i], socks[i + 1]
    local lease = tonumber(redis.call('ZSCORE', K.nodes(), node) or '')
    if lease == nil or lease <= now then
      redis.call('HDEL', K.agent_sockets(a), sid)
      redis.call('SREM', K.node_sockets(node), a .. '|' .. sid)
    else
      live = live + 1
    end
  end
  return live
end

-- Start the grace period if nothing is left of the agent's connections.
function A.maybe_start_grace(g, now, since)
  if g.state == 'offline' then return end
  if A.live_sockets(g.id, now) > 0 then return end
  redis.call('HSET', K.agent(g.id), 'disc_since', since)
  redis.call('ZADD', K.timers(), 'NX', since + A.cfg().grace, 'grace|' .. g.id)
end

-- Grace timer: still no live socket -> offline.
function A.grace_over(a, now)
  local g = A.agent(a)
  if g == nil or g.state == 'offline' then return end
  if A.live_sockets(a, now) > 0 then return end
  A.set_state(g, 'offline', 'disconnected', now)
end

-- Node lease timer: the node stopped heartbeating; its sockets are gone.
function A.node_expired(node, now)
  local lease = tonumber(redis.call('ZSCORE', K.nodes(), node) or '')
  if lease and lease > now then return end  -- heartbeat came in meanwhile
  local members = redis.call('SMEMBERS', K.node_sockets(node))
  redis.call('DEL', K.node_sockets(node))
  redis.call('ZREM', K.nodes(), node)
  A.log('node_expired', now, {'node', node})
  local seen = {}
  for _, m in ipairs(members) do
    local parts = A.split(m, '|')
    local a, sid = parts[1], parts[2]
    if redis.call('HGET', K.agent_sockets(a), sid) == node then redis.call('HDEL', K.agent_sockets(a), sid) end
    if not seen[a] then
      seen[a] = true
      local g = A.agent(a)
      if g then A.maybe_start_grace(g, now, lease or now) end
    end
  end
end
