-- The Slack mirror is done with these archive outbox entries: acknowledge them for its consumer
-- group and delete those no other group still needs (the history archive, the event webhooks), as
-- gateway/history/lua/archive_ack.lua does for its own group.
-- KEYS[1] = the tenant's archive outbox STREAM
-- ARGV[1] = our consumer group, ARGV[2..] = entry ids
-- Returns the number of entries deleted.
local ids = {}
for i = 2, #ARGV do ids[#ids + 1] = ARGV[i] end
if #ids == 0 then return 0 end
redis.call('XACK', KEYS[1], ARGV[1], unpack(ids))
local others = {}
for _, g in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
  local name, last
  for f = 1, #g, 2 do
    if g[f] == 'name' then name = g[f + 1] elseif g[f] == 'last-delivered-id' then last = g[f + 1] end
  end
  if name ~= ARGV[1] then others[#others + 1] = {name, last} end
end
local function before(a, b)  -- stream id a <= b
  local a1, a2 = string.match(a, '(%d+)-(%d+)')
  local b1, b2 = string.match(b, '(%d+)-(%d+)')
  a1, a2, b1, b2 = tonumber(a1), tonumber(a2), tonumber(b1), tonumber(b2)
  return a1 < b1 or (a1 == b1 and a2 <= b2)
end
local gone = {}
for _, id in ipairs(ids) do
  local done = true
  for _, o in ipairs(others) do
    if not before(id, o[2]) or #redis.call('XPENDING', KEYS[1], o[1], id, id, 1) > 0 then done = false break end
  end
  if done then gone[#gone + 1] = id end
end
if #gone > 0 then return redis.call('XDEL', KEYS[1], unpack(gone)) end
return 0
