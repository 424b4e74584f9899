-- Turn stream entries (of both streams, merged in time order) into deliveries and acknowledge them, in one step: for each event, one
-- delivery per enabled subscription that wants its type, queued behind the earlier deliveries of
-- the same subscription and ordering key (a conversation); then XACK the entries and, on the
-- archive outbox, XDEL those every consumer group has acknowledged (the history may still need one).
-- Like resolve_contact.lua this builds the per-subscription keys from the tenant prefix (same names
-- as gateway/keys.py, hook_*); every key carries the tenant's hash tag.
-- KEYS[1] = tenant prefix ("t:{demo}:"), KEYS[2] = the archive outbox STREAM, KEYS[3] = subscriptions SET,
-- KEYS[4] = due ZSET, KEYS[5] = the ACD event log STREAM, KEYS[6] = erased ordering keys ZSET (erase_queues.lua)
-- ARGV[1] = our consumer group, ARGV[2] = now, ARGV[3] = m, ARGV[4..3+m] = archive outbox entry ids,
-- ARGV[4+m] = n, then n ACD event log entry ids, then per event 5 values: event id, type, ordering key, body, created_at
-- An event of an erased contact's conversation or contact key (derived just before the erasure, or read
-- late from the ACD's log) is acknowledged and dropped; contact.erased itself carries nothing of the person.
-- Returns {deliveries queued, outbox entries deleted}.
local p, now, m = KEYS[1], ARGV[2], tonumber(ARGV[3])
local n = tonumber(ARGV[4 + m])
local subs = redis.call('SMEMBERS', KEYS[3])
local wants = {}
for _, sid in ipairs(subs) do
  local s = redis.call('HMGET', p .. 'wh:sub:' .. sid, 'enabled', 'events')
  if s[1] == '1' then wants[sid] = ',' .. (s[2] or '') .. ',' end
end
local queued = 0
local i = 5 + m + n
while i + 4 <= #ARGV do
  local eid, etype, key, body, created = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  local erased = etype ~= 'contact.erased' and redis.call('ZSCORE', KEYS[6], key)
  for sid, events in pairs(erased and {} or wants) do
    if events == ',*,' or string.find(events, ',' .. etype .. ',', 1, true) then
      local did = 'dlv_' .. sid .. '_' .. eid
      local dkey = p .. 'wh:d:' .. did
      if redis.call('EXISTS', dkey) == 0 then
        redis.call('HSET', dkey, 'id', did, 'sub', sid, 'event', eid, 'type', etype, 'key', key, 'body', body,
          'created_at', created, 'queued_at', now, 'attempts', 0, 'status', 'pending')
        local q = p .. 'wh:q:' .. sid .. ':' .. key
        if redis.call('RPUSH', q, did) == 1 then redis.call('ZADD', KEYS[4], 'NX', now, sid .. '|' .. key) end
        queued = queued + 1
      end
    end
  end
  i = i + 5
end
if n > 0 then
  local acd = {}
  for j = 5 + m, 4 + m + n do acd[#acd + 1] = ARGV[j] end
  redis.call('XACK', KEYS[5], ARGV[1], unpack(acd))  -- the ACD's log trims itself: acknowledged only
end
local ids = {}
for j = 4, 3 + m do ids[#ids + 1] = ARGV[j] end
local deleted = 0
if m > 0 then
  redis.call('XACK', KEYS[2], ARGV[1], unpack(ids))
  -- an entry goes once no other group still needs it (not yet delivered to it, or pending there)
  local gone = unneeded(KEYS[2], ARGV[1], ids)  -- lib/stream_groups.lua
  if #gone > 0 then deleted = redis.call('XDEL', KEYS[2], unpack(gone)) end
end
return {queued, deleted}
