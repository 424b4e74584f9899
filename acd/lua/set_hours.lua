-- Entry script: a queue's business-hours state, as the gateway's schedule says it is at `now`.
-- Idempotent: any number of gateway processes may send the same flip; only the first changes
-- anything (the closed-time counter, the log, the offers made at the opening).
-- KEYS[1] = tenant prefix / KEYS[2] = hours HASH t:{tenant}:acd:hours
-- ARGV[1] = now / ARGV[2] = queue id / ARGV[3] = '1' open, '0' closed / ARGV[4] = next change
-- (epoch seconds, '' = never) / ARGV[5] = next opening as ISO text ('' while open) /
-- ARGV[6] = when_closed: 'wait' | 'escalate'
-- Errors: unknown_queue, bad_request (a mode that is neither).
-- Returns {effects, changed}.
local now, q, open = tonumber(ARGV[1]), ARGV[2], ARGV[3] == '1'
if not A.queue(q) then return A.fail('unknown_queue', q) end
local mode = ARGV[6]
if mode ~= 'wait' and mode ~= 'escalate' then return A.fail('bad_request', 'when_closed must be wait or escalate') end
local H = A.hours(q) or {open = true, at = now, closed_s = 0}
local changed = (H.open and true or false) ~= open
if changed then
  -- the flip takes effect at the boundary it was due at, even when the loop comes a little late
  local due, at = tonumber(H.next), tonumber(H.at) or now
  local t = now
  if due and due <= now and due >= at then t = due end
  if open then
    H.closed_s = (tonumber(H.closed_s) or 0) + math.max(0, t - at)
    H.opened_at = t
  else
    H.closed_at = t
  end
  H.at, H.open = t, open
end
local nxt, iso = tonumber(ARGV[4]), open and '' or ARGV[5]
local differs = changed or tonumber(H.next) ~= nxt or (H.next_iso or '') ~= iso or H.mode ~= mode
H.next, H.next_iso, H.mode = nxt, iso, mode
if differs then
  local after = cjson.encode(H)
  redis.call('HSET', KEYS[2], q, after)
  CACHE.hours[q] = H
  A.log('hours', now, {'q', q, 'hours', after})
end
if changed and open then A.open_queue(q, now) end
return A.reply({changed = changed})
