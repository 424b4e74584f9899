-- A contact's erasure, first step (gateway/event_webhooks/erasure.py): mark its ordering keys (its
-- conversations, "contact:<id>", its ACD tasks) as erased, so that fanout.lua queues nothing more for
-- them and replay.lua puts none of their dead letters back; empty their queues at once, so no sender
-- takes another of their deliveries; and drop their attempts from the subscriptions' recent lists.
-- A queue someone is sending just now keeps its lease and due entry: the holder's settle finds its
-- delivery gone and records nothing (a dead holder's lease runs out and the next claim releases it).
-- The delivery hashes go in the second step (erase_deliveries.lua), found by a SCAN after this one.
-- KEYS[1] = erased ordering keys ZSET, KEYS[2] = due ZSET, KEYS[3] = leases HASH,
-- KEYS[4..3+n] = each subscription's in-flight ZSET, KEYS[4+n..3+2n] = each one's recent attempts LIST,
-- KEYS[4+2n..] = the queue LISTs, subscription by subscription, k each (sub i, key j: 4+2n+(i-1)*k+(j-1))
-- ARGV[1] = now, ARGV[2] = seconds a mark is kept, ARGV[3] = n subscriptions, ARGV[4] = k ordering keys,
-- ARGV[5..4+n] = subscription ids, ARGV[5+n..4+n+k] = ordering keys,
-- ARGV[5+n+k..] = delivery ids that stay queued (contact.erased events: nothing of the person)
-- Returns {queued deliveries taken out, recent attempts dropped}.
local now, n, k = tonumber(ARGV[1]), tonumber(ARGV[3]), tonumber(ARGV[4])
local erased, keep = {}, {}
for j = 1, k do
  erased[ARGV[4 + n + j]] = true
  redis.call('ZADD', KEYS[1], now, ARGV[4 + n + j])
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
for i = 5 + n + k, #ARGV do keep[ARGV[i]] = true end
local taken, dropped = 0, 0
for i = 1, n do
  local sid = ARGV[4 + i]
  for j = 1, k do
    local key = ARGV[4 + n + j]
    local q, member = KEYS[3 + 2 * n + (i - 1) * k + j], sid .. '|' .. key
    local kept = {}
    for _, did in ipairs(redis.call('LRANGE', q, 0, -1)) do
      if keep[did] then kept[#kept + 1] = did else taken = taken + 1 end
    end
    redis.call('DEL', q)
    if #kept > 0 then redis.call('RPUSH', q, unpack(kept)) end
    if redis.call('HEXISTS', KEYS[3], member) == 0 then
      redis.call('ZREM', KEYS[3 + i], key)
      if #kept > 0 then redis.call('ZADD', KEYS[2], 'NX', now, member) else redis.call('ZREM', KEYS[2], member) end
    end
  end
  local recent = KEYS[3 + n + i]
  for _, raw in ipairs(redis.call('LRANGE', recent, 0, -1)) do
    local ok, attempt = pcall(cjson.decode, raw)
    if ok and type(attempt) == 'table' and erased[attempt['key']] then
      dropped = dropped + redis.call('LREM', recent, 0, raw)
    end
  end
end
return {taken, dropped}
