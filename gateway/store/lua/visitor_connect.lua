-- A widget tab connects: which visitor it is, their profile kept, and the tab recorded, in one call (the
-- connect made four round trips; a restarted gateway takes thousands of them at once).
-- KEYS[1] = the token's visitor HASH (the fresh one's when there is no valid token), KEYS[2] = the fresh
-- visitor's HASH, KEYS[3] / KEYS[4] = their SETs of open tabs, KEYS[5] = this node's tabs SET,
-- KEYS[6] = the SET of nodes with tabs, KEYS[7] = the abandonment ZSET, KEYS[8] = the tenant's key prefix
-- ARGV[1] = the token's visitor id ("" when none), ARGV[2] = a fresh visitor id, ARGV[3] = the user id a
-- signed identity names ("" when none), ARGV[4] = now, ARGV[5] / ARGV[6] = the visitor's lifetime with /
-- without a conversation, ARGV[7] = the tab sets' lifetime at most, ARGV[8] = node, ARGV[9] = socket id,
-- ARGV[10..] = profile field, value, ...
-- A token's visitor that is gone, or belongs to another signed-in user (a shared computer), is not
-- taken: the fresh visitor is.
-- Returns {fresh 0/1, visitor id, conversation id or "", name or "", open tabs, and the conversation's
-- state, agent_id, close_reason ("" each when none)}.
local vid, vkey, tabs_key, fresh = ARGV[1], KEYS[1], KEYS[3], 0
if vid == '' then
  fresh = 1
else
  local known = redis.call('HMGET', vkey, 'id', 'user_id')
  if not known[1] or (ARGV[3] ~= '' and known[2] and known[2] ~= ARGV[3]) then fresh = 1 end
end
if fresh == 1 then vid, vkey, tabs_key = ARGV[2], KEYS[2], KEYS[4] end

local profile = {'id', vid}
for i = 10, #ARGV do profile[#profile + 1] = ARGV[i] end
redis.call('HSET', vkey, unpack(profile))
redis.call('HSETNX', vkey, 'created_at', ARGV[4])
local found = redis.call('HMGET', vkey, 'conversation_id', 'name')
local cid = found[1] or ''
local ttl = tonumber(cid ~= '' and ARGV[5] or ARGV[6])
redis.call('EXPIRE', vkey, ttl)

redis.call('SADD', tabs_key, ARGV[9])
local tabs = redis.call('SCARD', tabs_key)
redis.call('EXPIRE', tabs_key, math.min(ttl, tonumber(ARGV[7])))
redis.call('SADD', KEYS[5], vid .. '|' .. ARGV[9])
redis.call('EXPIRE', KEYS[5], ARGV[7])
redis.call('SADD', KEYS[6], ARGV[8])

local conv = {false, false, false}
if cid ~= '' then
  redis.call('ZREM', KEYS[7], cid)  -- back before the grace ran out: not abandoned
  conv = redis.call('HMGET', KEYS[8] .. 'conv:' .. cid, 'state', 'agent_id', 'close_reason')
end
return {fresh, vid, cid, found[2] or '', tabs, conv[1] or '', conv[2] or '', conv[3] or ''}
