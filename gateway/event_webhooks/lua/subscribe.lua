-- Create or change a subscription; the first one of a tenant creates the consumer group "webhooks"
-- on its archive outbox and ACD event log, from their ends (a new subscription sees what happens next).
-- KEYS[1] = subscription HASH, KEYS[2] = subscriptions SET, KEYS[3] = archive outbox STREAM, KEYS[4] = ACD event log STREAM
-- ARGV[1] = subscription id, ARGV[2] = group, ARGV[3] = 1: must be new (create) | 0: must exist (update), ARGV[4..] = field pairs
-- Returns 1, or 0 when it exists (create) / does not exist (update).
local exists = redis.call('EXISTS', KEYS[1])
if (ARGV[3] == '1' and exists == 1) or (ARGV[3] == '0' and exists == 0) then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
redis.call('SADD', KEYS[2], ARGV[1])
for i = 3, 4 do
  local ok = pcall(redis.call, 'XGROUP', 'CREATE', KEYS[i], ARGV[2], '$', 'MKSTREAM')
  if not ok then end  -- BUSYGROUP: it exists
end
return 1
