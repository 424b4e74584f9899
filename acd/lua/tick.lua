-- Entry script: fire every timer due at `now` (offer expiry, step timeout, wrap-up end, grace,
-- node lease). Any number of processes may tick concurrently: a timer is removed and handled in
-- the same atomic call, so it fires exactly once.
-- KEYS[1] = tenant prefix / KEYS[2] = timers ZSET t:{tenant}:acd:timers
-- ARGV[1] = now / ARGV[2] = most timers to fire in this call
-- Returns {effects, fired, more} (more = timers still due; call again).
local now, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
local fired = 0
while fired < limit do
  local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, math.min(16, limit - fired))
  if #due == 0 then break end
  for _, member in ipairs(due) do
    redis.call('ZREM', KEYS[2], member)
    fired = fired + 1
    A.fire(member, now)
  end
end
local more = #redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 1) > 0
return A.reply({fired = fired, more = more})
