-- Find or create the one contact of a person from its *verified* identities, merging contacts that
-- turn out to be the same person (the same verified identity seen on two contacts).
-- Typed emails and phone numbers are claims: stored on the contact, marked unverified, never
-- indexed and never a reason to merge (anyone can type anyone's address).
-- Contact keys are only known once identities are read, so this script builds them from the
-- tenant prefix; every key it touches carries the same hash tag as KEYS[1].
-- KEYS[1] = tenant prefix ("t:{demo}:"), KEYS[2] = the tenant's archive outbox STREAM
-- ARGV[1] = id for a new contact, ARGV[2] = now, ARGV[3] = name, ARGV[4] = claimed email,
-- ARGV[5] = claimed phone, ARGV[6] = contact ids an agent merges explicitly ("," separated, "" = none),
-- ARGV[7..n] = verified identities "kind:value"
-- Returns {contact id, merged ids...}. A change (new contact, merge, new identity, new value) is also
-- appended to the archive outbox, in this same step.
local p = KEYS[1]
local function live(cid)
  for _ = 1, 16 do
    local next_id = redis.call('HGET', p .. 'contact:' .. cid, 'merged_into')
    if not next_id then return cid end
    cid = next_id
  end
  return cid
end

local changed = false
local created = '0'
local found, order = {}, {}
local function consider(cid)
  cid = live(cid)
  if not found[cid] and redis.call('EXISTS', p .. 'contact:' .. cid) == 1 then
    found[cid] = tonumber(redis.call('HGET', p .. 'contact:' .. cid, 'created_at') or '0')
    table.insert(order, cid)
  end
end
for cid in string.gmatch(ARGV[6], '[^,]+') do consider(cid) end
for i = 7, #ARGV do
  local cid = redis.call('GET', p .. 'identity:' .. ARGV[i])
  if cid then consider(cid) end
end

local primary = nil
for _, cid in ipairs(order) do
  if primary == nil or found[cid] < found[primary] or (found[cid] == found[primary] and cid < primary) then
    primary = cid
  end
end
local ckey
if primary == nil then
  primary = ARGV[1]
  ckey = p .. 'contact:' .. primary
  redis.call('HSET', ckey, 'id', primary, 'created_at', ARGV[2])
  changed = true
  created = '1'  -- the event webhooks tell contact.created from a change (gateway/event_webhooks/events.py)
else
  ckey = p .. 'contact:' .. primary
end

-- A verified value wins over a claim; a claim only fills or replaces another claim.
local function put(field, value, verified)
  if value == '' then return end
  local cur = redis.call('HMGET', ckey, field, field .. '_verified')
  if verified then
    if cur[2] ~= '1' or not cur[1] or cur[1] == '' then
      if cur[1] ~= value or cur[2] ~= '1' then changed = true end
      redis.call('HSET', ckey, field, value, field .. '_verified', '1')
    end
  elseif cur[2] ~= '1' then
    if cur[1] ~= value then changed = true end
    redis.call('HSET', ckey, field, value, field .. '_verified', '0')
  end
end

local merged = {}
for _, cid in ipairs(order) do
  if cid ~= primary then
    local okey = p .. 'contact:' .. cid
    for _, ident in ipairs(redis.call('SMEMBERS', okey .. ':ids')) do
      redis.call('SET', p .. 'identity:' .. ident, primary)
      redis.call('SADD', ckey .. ':ids', ident)
    end
    redis.call('ZUNIONSTORE', ckey .. ':convs', 2, ckey .. ':convs', okey .. ':convs', 'AGGREGATE', 'MIN')
    local o = redis.call('HMGET', okey, 'name', 'email', 'email_verified', 'phone', 'phone_verified')
    if o[1] and o[1] ~= '' then redis.call('HSETNX', ckey, 'name', o[1]) end
    put('email', o[2] or '', o[3] == '1')
    put('phone', o[4] or '', o[5] == '1')
    redis.call('HSET', okey, 'merged_into', primary)
    table.insert(merged, cid)
    changed = true
  end
end

for i = 7, #ARGV do
  redis.call('SET', p .. 'identity:' .. ARGV[i], primary)
  if redis.call('SADD', ckey .. ':ids', ARGV[i]) == 1 then changed = true end
  local kind, value = string.match(ARGV[i], '^([^:]+):(.*)$')
  if kind == 'email' or kind == 'phone' then put(kind, value, true) end
end
if ARGV[3] ~= '' then
  local cur = redis.call('HGET', ckey, 'name')
  if not cur or cur == '' then
    redis.call('HSET', ckey, 'name', ARGV[3])
    changed = true
  end
end
put('email', ARGV[4], false)
put('phone', ARGV[5], false)
local out = {primary}
for _, m in ipairs(merged) do table.insert(out, m) end
if changed then
  redis.call('XADD', KEYS[2], '*', 'k', 'contact', 'id', primary, 'merged', table.concat(merged, ','), 'new', created)
end
return out
