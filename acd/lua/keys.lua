-- KEYS[1] = tenant prefix "t:{tenant}:" of every entry script / ARGV: none read here
-- Library (prepended to every entry script by acd/scripts.py): shared locals and key names.
-- The routing indexes are dynamic (one sorted set per skill x proficiency x language x channel,
-- one per waiting bucket), so the library builds those names from KEYS[1]; every name starts with
-- it, so all keys share the tenant's hash tag and one Cluster slot. The builders mirror
-- acd/keys.py (AcdKeys), name for name; tests/test_acd_keys.py compares the two.

local A = {}     -- library functions; a table so that they may call each other in any order
local E = {}     -- effects of this call, in order; returned to Python as JSON
local P = KEYS[1]
local WORK = {'chat', 'messaging', 'email', 'voice'}
local REALTIME = {chat = true, messaging = true, voice = true}
local CACHE = {queues = {}, agents = {}, dirty = {}, records = {}, hours = {}}  -- records: task ids to sync (record.lua)

local K = {}
function K.cfg() return P .. 'acd:cfg' end
function K.queue(q) return P .. 'acd:q:' .. q end
function K.agents() return P .. 'acd:agents' end
function K.agent(a) return P .. 'acd:a:' .. a end
function K.agent_tasks(a) return P .. 'acd:a:' .. a .. ':tasks' end
function K.agent_sockets(a) return P .. 'acd:a:' .. a .. ':socks' end
function K.task(t) return P .. 'acd:t:' .. t end
function K.task_tried(t) return P .. 'acd:t:' .. t .. ':tried' end
function K.tasks() return P .. 'acd:tasks' end
function K.offers() return P .. 'acd:offers' end
function K.agent_index(sfx) return P .. 'acd:ix:' .. sfx end          -- sfx = skill:prof:lang:channel
function K.agent_occ_index(sfx) return P .. 'acd:ixo:' .. sfx end
function K.logged_in() return P .. 'acd:in' end
function K.serving() return P .. 'acd:serving' end
function K.waiting_bucket(q, sfx) return P .. 'acd:wq:' .. q .. ':' .. sfx end  -- sfx = channel:lang:minprof
function K.waiting_buckets(q) return P .. 'acd:wqne:' .. q end
function K.queue_order(q, ch) return P .. 'acd:qall:' .. q .. ':' .. ch end
function K.queue_enqueued(q) return P .. 'acd:qenq:' .. q end
function K.timers() return P .. 'acd:timers' end
function K.nodes() return P .. 'acd:nodes' end
function K.node_sockets(n) return P .. 'acd:node:' .. n .. ':socks' end
function K.seq() return P .. 'acd:seq' end
function K.events() return P .. 'acd:events' end
function K.queue_minute(q, m) return P .. 'acd:qs:' .. q .. ':' .. m end
function K.queue_totals(q) return P .. 'acd:qt:' .. q end
function K.hours() return P .. 'acd:hours' end

function A.emit(effect) E[#E + 1] = effect end

-- Entry scripts end with `return A.reply(extra)`; validation failures with `return A.fail(code, msg)`
-- before anything was written (Redis does not roll a script back): an error reply "<code> <msg>"
-- that acd/lua_runner.py raises as the exception of acd/errors.py with that code.
function A.reply(extra)
  A.flush()
  A.sync_records()
  local out = extra or {}
  out.effects = E
  return cjson.encode(out)
end

function A.fail(code, msg)
  return redis.error_reply(code .. ' ' .. tostring(msg or code))
end

function A.hash(key)
  local raw = redis.call('HGETALL', key)
  if #raw == 0 then return nil end
  local h = {}
  for i = 1, #raw, 2 do h[raw[i]] = raw[i + 1] end
  return h
end

function A.split(s, sep)
  local out = {}
  for part in string.gmatch(s, '([^' .. sep .. ']+)') do out[#out + 1] = part end
  return out
end
