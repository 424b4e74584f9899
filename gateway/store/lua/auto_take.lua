-- Take an automatically answered conversation out of its wait, for a person or for closing, in one
-- step with a record that it is being handed on: a process that dies before finishing leaves it in
-- the handing set, and the sweep (gateway/assist/auto_answer.py) finishes it.
-- KEYS[1] = assist:waiting (ZSET), KEYS[2] = assist:handing (ZSET cid -> when it was taken)
-- ARGV[1] = conversation id, ARGV[2] = now (epoch s)
-- Returns 1 when this call took it, 0 when it was not waiting (someone else was first).
if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 then
  redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
  return 1
end
return 0
