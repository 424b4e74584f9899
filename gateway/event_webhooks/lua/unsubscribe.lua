-- Delete a subscription; with the tenant's last one the consumer group "webhooks" goes too, so the
-- archive outbox is again deleted as soon as the history has it (gateway/history/lua/archive_ack.lua).
-- KEYS[1] = subscription HASH, KEYS[2] = subscriptions SET, KEYS[3] = archive outbox STREAM, KEYS[4] = ACD event log STREAM
-- ARGV[1] = subscription id, ARGV[2] = group
-- Returns {1 when it existed, 1 when the group was destroyed}.
local existed = redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[1])
local destroyed = 0
if redis.call('SCARD', KEYS[2]) == 0 then
  for i = 3, 4 do
    if redis.call('EXISTS', KEYS[i]) == 1 then
      local ok = pcall(redis.call, 'XGROUP', 'DESTROY', KEYS[i], ARGV[2])
      if ok then destroyed = 1 end
    end
  end
end
return {existed, destroyed}
