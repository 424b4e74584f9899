-- Set fields of an existing conversation (never creates one) and append the change to the archive
-- outbox in the same step, numbered like every archived change of the conversation (field ov).
-- KEYS[1] = conversation hash, KEYS[2] = the tenant's archive outbox STREAM
-- ARGV[1] = conversation id, ARGV[2..n] = field, value, field, value, ...
-- Returns 1 when the conversation exists (and was changed), else 0.
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
local ov = redis.call('HINCRBY', KEYS[1], 'ov', 1)
redis.call('XADD', KEYS[2], '*', 'k', 'conv', 'c', ARGV[1], 'ov', ov)
return 1
