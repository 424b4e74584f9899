-- KEYS[1] = tenant prefix of the entry script this library runs in (no other KEYS or ARGV read here)
-- Library: the routing config written by acd/config_sync.py (tenant settings, queues), read once
-- per script call and memoised for its duration.

function A.cfg()
  if CACHE.tenant == nil then
    local h = A.hash(K.cfg()) or {}
    CACHE.tenant = {
      rules = cjson.decode(h.rules or '{}'),
      grace = tonumber(h.grace or '30'),
      max_missed = tonumber(h.max_missed or '2'),
      queues = cjson.decode(h.queues or '{}'),   -- queue id -> skill
      evmax = tonumber(h.evmax or '250000'),
      occ = h.occ == '1',                        -- some queue routes by least occupancy
    }
  end
  return CACHE.tenant
end

-- Queue config: skill, policy, priority, aging, sla, wrapup_s, offer_timeout {channel: s}, steps,
-- decline_cooldown_s (nil in a config written by an older version: 30).
function A.queue(q)
  local cached = CACHE.queues[q]
  if cached == nil then
    local raw = redis.call('HGET', K.queue(q), 'cfg')
    cached = raw and cjson.decode(raw) or false
    CACHE.queues[q] = cached
  end
  return cached or nil
end

function A.offer_timeout(Q, ch)
  return tonumber(Q.offer_timeout[ch]) or 20
end
