-- Find or create the one contact of a person from its identities, merging contacts that turn out
-- to be the same person (same email or phone seen on another channel).
-- Contact keys are only known once identities are read, so this script builds them from the
-- tenant prefix; every key it touches carries the same hash tag as KEYS[1].
-- KEYS[1] = tenant prefix ("t:{demo}:")
-- ARGV[1] = id for a new contact, ARGV[2] = now, ARGV[3] = name, ARGV[4] = email, ARGV[5] = phone,
-- ARGV[6..n] = identities "kind:value"
-- Returns {contact id, merged ids...}.
local p = KEYS[1]
local function live(cid)
  for _ = 1, 16 do
    local next_id = redis.call('HGET', p .. 'contact:' .. cid, 'merged_into')
    if not next_id then return cid end
    cid = next_id
  end
  return cid
end

local found, order = {}, {}
for i = 6, #ARGV do
  local cid = redis.call('GET', p .. 'identity:' .. ARGV[i])
  if cid then
    cid = live(cid)
    if not found[cid] then
      found[cid] = tonumber(redis.call('HGET', p .. 'contact:' .. cid, 'created_at') or '0')
      table.insert(order, cid)
    end
  end
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
else
  ckey = p .. 'contact:' .. primary
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
    for _, field in ipairs({'name', 'email', 'phone'}) do
      local v = redis.call('HGET', okey, field)
      if v and v ~= '' then redis.call('HSETNX', ckey, field, v) end
    end
    redis.call('HSET', okey, 'merged_into', primary)
    table.insert(merged, cid)
  end
end

for i = 6, #ARGV do
  redis.call('SET', p .. 'identity:' .. ARGV[i], primary)
  redis.call('SADD', ckey .. ':ids', ARGV[i])
end
local fields = {name = ARGV[3], email = ARGV[4], phone = ARGV[5]}
for field, v in pairs(fields) do
  if v ~= '' then
    local cur = redis.call('HGET', ckey, field)
    if not cur or cur == '' then redis.call('HSET', ckey, field, v) end
  end
end
local out = {primary}
for _, m in ipairs(merged) do table.insert(out, m) end
return out
