-- After the batch is committed in PostgreSQL: acknowledge its outbox entries, delete those no other
-- consumer group still needs (the outbox keeps only what is not archived yet, and what the event
-- webhooks, gateway/event_webhooks, have not taken yet while a tenant has subscriptions), and raise
-- each conversation's archived mark (aov) to the newest of its entries in the batch, so eviction
-- knows everything before it is safe.
-- KEYS[1] = the archive outbox STREAM, KEYS[2..n] = conversation hashes
-- ARGV[1] = consumer group, ARGV[2] = number of entry ids m, ARGV[3..2+m] = entry ids,
-- ARGV[3+m..] = the ov archived for each conversation hash of KEYS[2..n], in that order
-- Returns the number of entries acknowledged.
local m = tonumber(ARGV[2])
local ids = {}
for i = 3, 2 + m do ids[#ids + 1] = ARGV[i] end
local acked = 0
if m > 0 then
  acked = redis.call('XACK', KEYS[1], ARGV[1], unpack(ids))
  -- the other groups: an entry not yet delivered to one (id past its last-delivered-id) or pending there stays
  local others = {}
  for _, g in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
    local name, last
    for f = 1, #g, 2 do
      if g[f] == 'name' then name = g[f + 1] elseif g[f] == 'last-delivered-id' then last = g[f + 1] end
    end
    if name ~= ARGV[1] then others[#others + 1] = {name, last} end
  end
  local gone = ids
  if #others > 0 then
    local function before(a, b)  -- stream id a <= b
      local a1, a2 = string.match(a, '(%d+)-(%d+)')
      local b1, b2 = string.match(b, '(%d+)-(%d+)')
      a1, a2, b1, b2 = tonumber(a1), tonumber(a2), tonumber(b1), tonumber(b2)
      return a1 < b1 or (a1 == b1 and a2 <= b2)
    end
    gone = {}
    for _, id in ipairs(ids) do
      local done = true
      for _, o in ipairs(others) do
        if not before(id, o[2]) or #redis.call('XPENDING', KEYS[1], o[1], id, id, 1) > 0 then done = false break end
      end
      if done then gone[#gone + 1] = id end
    end
  end
  if #gone > 0 then redis.call('XDEL', KEYS[1], unpack(gone)) end
end
for i = 2, #KEYS do
  local ov = tonumber(ARGV[2 + m + i - 1])
  -- never create a hash: an evicted or purged conversation stays gone
  if redis.call('EXISTS', KEYS[i]) == 1 and tonumber(redis.call('HGET', KEYS[i], 'aov') or '0') < ov then
    redis.call('HSET', KEYS[i], 'aov', ov)
  end
end
return acked
