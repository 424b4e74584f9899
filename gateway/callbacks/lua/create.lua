-- A new scheduled callback: the contact's one open callback on the queue, its place in a slot (when
-- it asked for one), its record, its place on the due list and the figures, in one step.
-- KEYS[1] = the contact's open pointer on the queue (STRING), KEYS[2] = the callback (HASH),
-- KEYS[3] = the due list (ZSET), KEYS[4] = the queue's slot bookings for the language (HASH),
-- KEYS[5] = this minute's figures (HASH), KEYS[6] = today's figures (HASH), KEYS[7] = open per queue (HASH)
-- ARGV[1] = callback id, ARGV[2] = a stale pointer's id that may be replaced ("" = none),
-- ARGV[3] = slot start ("" = as soon as possible), ARGV[4] = the slot's capacity,
-- ARGV[5] = due, ARGV[6] = queue, ARGV[7] = bookings TTL (s), ARGV[8] = minute TTL, ARGV[9] = day TTL,
-- ARGV[10] = drop booked slots that started before this (epoch s), ARGV[11..] = record field, value, …
-- Errors: OPEN (the contact has an open callback there), FULL (the slot has no place left).
local current = redis.call('GET', KEYS[1])
if current and current ~= ARGV[2] then return redis.error_reply('OPEN a callback is already open') end
local slot = ARGV[3]
if slot ~= '' then
  local booked = tonumber(redis.call('HGET', KEYS[4], slot) or '0')
  if booked >= tonumber(ARGV[4]) then return redis.error_reply('FULL the slot is full') end
  for _, start in ipairs(redis.call('HKEYS', KEYS[4])) do
    if tonumber(start) < tonumber(ARGV[10]) then redis.call('HDEL', KEYS[4], start) end
  end
  redis.call('HINCRBY', KEYS[4], slot, 1)
  redis.call('EXPIRE', KEYS[4], ARGV[7])
end
local record = {}
for i = 11, #ARGV do record[#record + 1] = ARGV[i] end
redis.call('HSET', KEYS[2], unpack(record))
redis.call('HSET', KEYS[2], 'slot', slot)
redis.call('ZADD', KEYS[3], ARGV[5], ARGV[1])
redis.call('SET', KEYS[1], ARGV[1])
redis.call('HINCRBY', KEYS[5], ARGV[6] .. '|requests', 1)
redis.call('EXPIRE', KEYS[5], ARGV[8])
redis.call('HINCRBY', KEYS[6], ARGV[6] .. '|requests', 1)
redis.call('EXPIRE', KEYS[6], ARGV[9])
redis.call('HINCRBY', KEYS[7], ARGV[6], 1)
return 1
