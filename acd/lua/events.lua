-- KEYS[1] = tenant prefix of the entry script this library runs in (no other KEYS or ARGV read here)
-- Library: the event log (one Redis Stream per tenant) and the per-queue statistics counters.
-- Counters are integers (counts, milliseconds) so that replaying the log gives exactly the live
-- figures: every counter increment is written into the same event as a "c:<name>" field, with the
-- minute "m" whose counters it went into.

-- Counters also kept since the start (AHT before any handle time falls in the window).
local TOTALS = {handled = true, handle_ms = true}

function A.log(ev, now, fields)
  local args = {'XADD', K.events(), 'MAXLEN', '~', A.cfg().evmax, '*', 'ev', ev, 'ts', now}
  for i = 1, #fields do args[#args + 1] = fields[i] end
  redis.call(unpack(args))
end

-- Log an event that also moves queue counters (the current minute's hash + totals). Readers
-- sum the 15 minutes of the window by name; a minute's hash is garbage after that, so it gets a
-- TTL of two (real) days when created, which also holds when a simulation runs in virtual time.
function A.count(q, now, ev, fields, counters)
  local m = math.floor(now / 60)
  local minute = K.queue_minute(q, m)
  local args = {'XADD', K.events(), 'MAXLEN', '~', A.cfg().evmax, '*', 'ev', ev, 'ts', now, 'q', q, 'm', m}
  for i = 1, #fields do args[#args + 1] = fields[i] end
  local created = false
  for name, v in pairs(counters) do
    if v ~= 0 then
      if redis.call('HINCRBY', minute, name, v) == v and redis.call('HLEN', minute) == 1 then created = true end
      if TOTALS[name] then redis.call('HINCRBY', K.queue_totals(q), name, v) end
      args[#args + 1] = 'c:' .. name
      args[#args + 1] = v
    end
  end
  redis.call(unpack(args))
  if created then redis.call('EXPIRE', minute, 172800) end
end

function A.ms(seconds)
  return math.floor(seconds * 1000 + 0.5)
end
