-- After the tenant's last subscription went (its group destroyed): delete the outbox entries that
-- only the webhooks held back, i.e. those every remaining consumer group has acknowledged. With no
-- group left (no history database) nothing is deleted: the outbox stays as it is without webhooks.
-- KEYS[1] = the archive outbox STREAM; ARGV = entry ids
-- Returns the number of entries deleted.
local groups = redis.call('XINFO', 'GROUPS', KEYS[1])
if #groups == 0 or #ARGV == 0 then return 0 end
local all = {}
for _, g in ipairs(groups) do
  local name, last
  for f = 1, #g, 2 do
    if g[f] == 'name' then name = g[f + 1] elseif g[f] == 'last-delivered-id' then last = g[f + 1] end
  end
  all[#all + 1] = {name, last}
end
local function before(a, b)
  local a1, a2 = string.match(a, '(%d+)-(%d+)')
  local b1, b2 = string.match(b, '(%d+)-(%d+)')
  a1, a2, b1, b2 = tonumber(a1), tonumber(a2), tonumber(b1), tonumber(b2)
  return a1 < b1 or (a1 == b1 and a2 <= b2)
end
local gone = {}
for _, id in ipairs(ARGV) do
  local done = true
  for _, o in ipairs(all) do
    if not before(id, o[2]) or #redis.call('XPENDING', KEYS[1], o[1], id, id, 1) > 0 then done = false break end
  end
  if done then gone[#gone + 1] = id end
end
if #gone == 0 then return 0 end
return redis.call('XDEL', KEYS[1], unpack(gone))
