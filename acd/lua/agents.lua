-- KEYS[1] = tenant prefix of the entry script this library runs in (no other KEYS or ARGV read here)
-- Library: an agent's record, its blended capacity, and the eligibility indexes it sits in.
--
-- An available agent sits in ix:<skill>:<prof>:<lang>:<channel> (scored by idle-since) and in the
-- matching ixo: set (scored by occupancy) for every channel it may be offered *now* — capacity
-- and blending rules already applied — and for each of its languages plus "*" (steps that relax
-- language). A routing decision reads a handful of index heads, whatever the number of agents.

-- One record per agent and call (A.agent returns the same table each time), so that changes not
-- yet written (load, idle-since) are seen by everything in the call.
function A.agent(a)
  if CACHE.agents[a] then return CACHE.agents[a] end
  local g = A.hash(K.agent(a))
  if g == nil then return nil end
  g.id = a
  g.langs = cjson.decode(g.langs or '[]')
  g.skills = cjson.decode(g.skills or '{}')
  g.cap = cjson.decode(g.cap or '{}')
  g.load = {}
  for _, c in ipairs(WORK) do g.load[c] = tonumber(g['l:' .. c] or '0') end
  g.idle_since = tonumber(g.idle_since or '0')
  g.missed = tonumber(g.missed or '0')
  CACHE.agents[a] = g
  return g
end

function A.cap(g, c) return tonumber(g.cap[c]) or 0 end

-- Occupancy: sum over channels (with capacity) of load / capacity; `realtime` limits it to
-- chat, messaging and voice. Not clipped here; the supervisor view clips it to 1.
function A.occupancy(g, realtime)
  local s = 0
  for _, c in ipairs(WORK) do
    local cap = A.cap(g, c)
    if cap > 0 and (not realtime or REALTIME[c]) then s = s + g.load[c] / cap end
  end
  return s
end

-- Channels the agent may be offered now: available, a free slot, not blocked by open work of a
-- blocking channel, and under the channel's real-time occupancy ceiling.
function A.offerable(g)
  local ok = {}
  if g.state ~= 'available' then return ok end
  local rules = A.cfg().rules
  local rt = math.min(1, A.occupancy(g, true))
  for _, c in ipairs(WORK) do
    local yes = g.load[c] < A.cap(g, c)
    if yes then
      for _, b in ipairs(WORK) do
        local rule = rules[b]
        if g.load[b] > 0 and rule and type(rule.blocks) == 'table' then
          for _, x in ipairs(rule.blocks) do if x == c then yes = false end end
        end
      end
    end
    local own = rules[c]
    if yes and own and type(own.max_realtime_occupancy) == 'number' and rt >= own.max_realtime_occupancy then
      yes = false
    end
    if yes then ok[c] = true end
  end
  return ok
end

function A.langs_star(g)
  local out = {'*'}
  for _, l in ipairs(g.langs) do out[#out + 1] = l end
  return out
end

-- Bring the agent's index entries in line with its state and load, and write the agent's live
-- fields (load, idle-since) in the same call: A.add_load and A.touch_idle only change `g`, so
-- every change of load ends here. `ixc` remembers the channels the agent is indexed under, so a
-- change touches only those and the new ones. The ixo sets are kept only when a queue needs them.
function A.reindex(g, force_out)
  local ok = force_out and {} or A.offerable(g)
  local with_occ = force_out or A.cfg().occ
  local was = {}
  for _, c in ipairs(A.split(g.ixc or '', ',')) do was[c] = true end
  local occ = A.occupancy(g, false)
  local langs = A.langs_star(g)
  local now_in = {}
  for _, c in ipairs(WORK) do
    if ok[c] or was[c] then
      for skill, p in pairs(g.skills) do
        for _, l in ipairs(langs) do
          local sfx = skill .. ':' .. p .. ':' .. l .. ':' .. c
          if ok[c] then
            redis.call('ZADD', K.agent_index(sfx), g.idle_since, g.id)
            if with_occ then redis.call('ZADD', K.agent_occ_index(sfx), occ * 1e13 + g.idle_since, g.id) end
          else
            redis.call('ZREM', K.agent_index(sfx), g.id)
            if with_occ then redis.call('ZREM', K.agent_occ_index(sfx), g.id) end
          end
        end
      end
    end
    if ok[c] then now_in[#now_in + 1] = c end
  end
  g.ixc = table.concat(now_in, ',')
  redis.call('HSET', K.agent(g.id), 'ixc', g.ixc, 'idle_since', g.idle_since, 'l:chat', g.load.chat,
    'l:messaging', g.load.messaging, 'l:email', g.load.email, 'l:voice', g.load.voice)
end

-- Counters read without scanning agents: logged-in agents per skill/prof/lang/channel (a step
-- with none is skipped) and available agents and slots per skill (EWT, agents serving).
function A.count_logged_in(g, delta)
  for skill, p in pairs(g.skills) do
    for _, l in ipairs(A.langs_star(g)) do
      for _, c in ipairs(WORK) do
        if A.cap(g, c) > 0 then
          redis.call('HINCRBY', K.logged_in(), skill .. ':' .. p .. ':' .. l .. ':' .. c, delta)
        end
      end
    end
  end
end

function A.count_serving(g, delta)
  for skill, _ in pairs(g.skills) do
    redis.call('HINCRBY', K.serving(), skill, delta)
    for _, c in ipairs(WORK) do
      local cap = A.cap(g, c)
      if cap > 0 then redis.call('HINCRBY', K.serving(), skill .. ':' .. c, delta * cap) end
    end
  end
end

-- Index writes are deferred: a change marks the agent, and A.flush re-indexes marked agents
-- (writing load and idle-since too) before any read of the agent indexes (A.choose_agent) and
-- at the end of the call. A slot that frees and is filled again in the same call (close, then
-- the next offer) then costs no index writes at all. The agent-side decision (A.agent_free)
-- reads only the task buckets and the in-memory agent, so it needs no flush.
function A.mark(g) CACHE.dirty[g.id] = g end

function A.flush()
  for _, g in pairs(CACHE.dirty) do A.reindex(g) end
  CACHE.dirty = {}
end

-- Both only change `g`; A.flush writes them.
function A.add_load(g, c, delta)
  g.load[c] = g.load[c] + delta
end

function A.touch_idle(g, now)
  g.idle_since = now
end
