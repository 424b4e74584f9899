-- The customer moves their callback to another time: the old slot's place is given back and the
-- new one taken (when it has room) together with the new due time, in one step.
-- KEYS[1] = the callback (HASH), KEYS[2] = the due list (ZSET), KEYS[3] = the queue's slot bookings for its language (HASH)
-- ARGV[1] = callback id, ARGV[2] = new slot start ("" = as soon as possible), ARGV[3] = its capacity,
-- ARGV[4] = new due, ARGV[5] = the time asked for (ISO, "" = as soon as possible), ARGV[6] = bookings TTL (s)
-- Errors: LATE (not scheduled, or an attempt is under way), FULL (the new slot has no place left).
local cb = redis.call('HMGET', KEYS[1], 'state', 'in_attempt', 'slot')
if cb[1] ~= 'scheduled' or cb[2] == '1' then return redis.error_reply('LATE the callback is not waiting any more') end
local old, new = cb[3] or '', ARGV[2]
if new ~= old then
  if new ~= '' then
    local booked = tonumber(redis.call('HGET', KEYS[3], new) or '0')
    if booked >= tonumber(ARGV[3]) then return redis.error_reply('FULL the slot is full') end
    redis.call('HINCRBY', KEYS[3], new, 1)
    redis.call('EXPIRE', KEYS[3], ARGV[6])
  end
  if old ~= '' and tonumber(redis.call('HGET', KEYS[3], old) or '0') > 0 then
    redis.call('HINCRBY', KEYS[3], old, -1)
  end
end
redis.call('HSET', KEYS[1], 'slot', new, 'due', ARGV[4], 'at', ARGV[5])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
return 1
