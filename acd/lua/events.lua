-- Library: the event log (one Redis Stream per tenant) and the per-queue statistics counters.
-- Counters are integers (counts, milliseconds) so that replaying the log gives exactly the live
-- figures: every counter increment is written into the same event as a "c:<name>" field, with the
-- minute bucket "m" it went into.

function A.log(ev, now, fields)
  local args = {'XADD', K.events(), 'MAXLEN', '~', A.cfg().evmax, '*', 'ev', ev, 'ts', now}
  for i = 1, #fields do args[#args + 1] = fields[i] end
  redis.call(unpack(args))
end

-- Log an event that also moves queue counters (window bucket of the current minute + totals).
function A.count(q, now, ev, fields, counters)
  local m = math.floor(now / 60)
  local bucket = K.qstat(q, m)
  local args = {'XADD', K.events(), 'MAXLEN', '~', A.cfg().evmax, '*', 'ev', ev, 'ts', now, 'q', q, 'm', m}
  for i = 1, #fields do args[#args + 1] = fields[i] end
  for name, v in pairs(counters) do
    redis.call('HINCRBY', bucket, name, v)
    redis.call('HINCRBY', K.qtotal(q), name, v)
    args[#args + 1] = 'c:' .. name
    args[#args + 1] = v
  end
  redis.call(unpack(args))
  -- Keep 15 minutes of buckets (the service-level window); older ones are dropped as time moves.
  redis.call('ZADD', K.qstats(q), m, m)
  local old = redis.call('ZRANGEBYSCORE', K.qstats(q), '-inf', m - 15)
  if #old > 0 then
    for _, o in ipairs(old) do redis.call('DEL', K.qstat(q, o)) end
    redis.call('ZREMRANGEBYSCORE', K.qstats(q), '-inf', m - 15)
  end
end

function A.ms(seconds)
  return math.floor(seconds * 1000 + 0.5)
end
