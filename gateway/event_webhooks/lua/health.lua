-- Record a channel's run-time health (gateway/channels_health.py) and, when it changed and the
-- tenant has webhook subscriptions, append a channel.health_changed record to the archive outbox
-- in the same step (the history ignores it; the event webhooks derive the event from it).
-- KEYS[1] = the tenant's channel health HASH, KEYS[2] = its subscriptions SET, KEYS[3] = its archive outbox STREAM
-- ARGV[1] = channel id, ARGV[2] = the new state ('' = ok: the field goes)
-- Returns 1 when the state changed.
local old = redis.call('HGET', KEYS[1], ARGV[1]) or ''
if ARGV[2] == '' then redis.call('HDEL', KEYS[1], ARGV[1]) else redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
if old == ARGV[2] then return 0 end
if redis.call('SCARD', KEYS[2]) > 0 then
  local data = cjson.encode({channel = ARGV[1], health = (ARGV[2] ~= '' and ARGV[2] or 'ok'),
    previous = (old ~= '' and old or 'ok')})
  redis.call('XADD', KEYS[3], '*', 'k', 'event', 't', 'channel.health_changed', 'key', 'channel:' .. ARGV[1], 'data', data)
end
return 1
