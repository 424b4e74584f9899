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
  local gone = unneeded(KEYS[1], ARGV[1], ids)  -- lib/stream_groups.lua
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
