-- The outcome of one attempt at a queue's head, by the process holding the queue's lease (else
-- nothing happens: the lease ran out and another process owns the delivery now).
-- ok: the head leaves the queue; retry: it stays, due again at ARGV[7]; dead: it leaves the queue
-- for the dead letters; hold: nothing is recorded, the queue is due again at ARGV[7] (a disabled
-- subscription); release: nothing is recorded. The lease is released; the queue is due now when
-- more is waiting (a retry or hold: at ARGV[7]).
-- KEYS[1] = due ZSET, KEYS[2] = leases HASH, KEYS[3] = in-flight ZSET, KEYS[4] = the queue LIST,
-- KEYS[5] = the delivery HASH, KEYS[6] = the subscription's recent attempts LIST, KEYS[7] = its dead letters ZSET
-- ARGV[1] = member, ARGV[2] = token, ARGV[3] = delivery id, ARGV[4] = ok|retry|dead|hold|release, ARGV[5] = now,
-- ARGV[6] = key, ARGV[7] = next attempt (retry), ARGV[8] = seconds the delivery is kept once settled,
-- ARGV[9] = recent attempt json, ARGV[10] = recent entries kept, ARGV[11..] = delivery field pairs
-- Returns 1 when recorded, 0 when the lease was lost.
if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] then return 0 end
local head = redis.call('LINDEX', KEYS[4], 0)
if head == ARGV[3] and ARGV[4] ~= 'hold' and ARGV[4] ~= 'release' then
  if #ARGV >= 11 and redis.call('EXISTS', KEYS[5]) == 1 then redis.call('HSET', KEYS[5], unpack(ARGV, 11)) end
  if ARGV[4] ~= 'retry' then
    redis.call('LPOP', KEYS[4])
    if redis.call('EXISTS', KEYS[5]) == 1 then redis.call('EXPIRE', KEYS[5], tonumber(ARGV[8])) end
    if ARGV[4] == 'dead' then redis.call('ZADD', KEYS[7], ARGV[5], ARGV[3]) end
  end
  redis.call('LPUSH', KEYS[6], ARGV[9])
  redis.call('LTRIM', KEYS[6], 0, tonumber(ARGV[10]) - 1)
end
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[6])
if (ARGV[4] == 'retry' and head == ARGV[3]) or (ARGV[4] == 'hold' and head) then
  redis.call('ZADD', KEYS[1], ARGV[7], ARGV[1])
elseif redis.call('LLEN', KEYS[4]) > 0 then
  redis.call('ZADD', KEYS[1], ARGV[5], ARGV[1])
else
  redis.call('ZREM', KEYS[1], ARGV[1])
end
return 1
