-- An agent accepted this attempt: the callback moves to dialling, once. The first dial of a callback
-- adds its wait (from when it was due) to the figures.
-- KEYS[1] = the callback (HASH), KEYS[2] = the attempt's dialled marker (STRING),
-- KEYS[3] = this minute's first waits (LIST), KEYS[4] = today's first waits (LIST)
-- ARGV[1] = the attempt's task id, ARGV[2] = agent id, ARGV[3] = now, ARGV[4] = queue,
-- ARGV[5] = marker TTL, ARGV[6] = minute TTL, ARGV[7] = day TTL, ARGV[8] = most waits kept per day
-- Returns 1 when this call moved it (dial now), 0 otherwise (dialled already, ended, another attempt).
local cb = redis.call('HMGET', KEYS[1], 'state', 'in_attempt', 'task_id', 'attempts', 'due')
if cb[1] ~= 'scheduled' or cb[2] ~= '1' or cb[3] ~= ARGV[1] then return 0 end
if not redis.call('SET', KEYS[2], ARGV[2], 'NX', 'EX', ARGV[5]) then return 0 end
redis.call('HSET', KEYS[1], 'state', 'dialling')
if cb[4] == '1' then
  local wait = math.max(0, tonumber(ARGV[3]) - tonumber(cb[5] or ARGV[3]))
  local entry = ARGV[4] .. '|' .. string.format('%.3f', wait)
  redis.call('RPUSH', KEYS[3], entry)
  redis.call('EXPIRE', KEYS[3], ARGV[6])
  redis.call('RPUSH', KEYS[4], entry)
  redis.call('LTRIM', KEYS[4], -tonumber(ARGV[8]), -1)
  redis.call('EXPIRE', KEYS[4], ARGV[7])
end
return 1
