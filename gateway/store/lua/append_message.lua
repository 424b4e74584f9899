-- Post one message to a conversation in a single step: the author's right to write, idempotency by
-- client id, rate limit, numbering with the next seq, and what fan-out needs to know.
-- KEYS[1] = conversation hash, KEYS[2] = message stream, KEYS[3] = client-id hash,
-- KEYS[4] = rate-limit counter of the sender in this window (any key when ARGV[10] = 0),
-- KEYS[5] = the tenant's archive outbox STREAM (gateway/history: the message goes to PostgreSQL from there),
-- KEYS[6] = the tenant's automatic-answer waits ZSET (gateway/assist: is this conversation waiting there?)
-- ARGV[1] = client_id ("" = none), ARGV[2] = message id prefix (the id is <prefix><seq>), ARGV[3] = author kind,
-- ARGV[4] = author name, ARGV[5] = author id, ARGV[6] = text, ARGV[7] = ts (epoch s),
-- ARGV[8] = extra JSON ("" = none), ARGV[9] = "1" to allow appending to a closed conversation,
-- ARGV[10] = rate limit (messages per window, 0 = none), ARGV[11] = rate window seconds,
-- ARGV[12] = agent id that must hold the conversation ("" = no check),
-- ARGV[13] = "1" when the message is a template (allowed outside a messenger's reply window),
-- ARGV[14] = conversation id,
-- KEYS[7] = the sender's counter of the window before, ARGV[15] = its weight (the share of it still within
-- the last window_s: a sliding window, as gateway/ratelimit.py, so a burst around a window boundary does
-- not pass twice the limit)
-- Returns {seq, id, ts, duplicate(0|1), agent_id, visitor_id, language, auto_waiting(0|1)}: what the
-- gateway does next without reading the conversation again;
-- errors NOCONV, CLOSED, RATE, FORBIDDEN, WINDOW.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return redis.error_reply('NOCONV conversation does not exist')
end
local conv = redis.call('HMGET', KEYS[1], 'state', 'agent_id', 'visitor_id', 'language')
local state, agent, visitor, language = conv[1] or '', conv[2] or '', conv[3] or '', conv[4] or ''
local waiting = redis.call('ZSCORE', KEYS[6], ARGV[14]) and 1 or 0
-- The right to write comes before idempotency: a reused client_id must not tell an agent who does
-- not hold the conversation the id and seq of a message stored there.
if ARGV[12] ~= '' and (agent ~= ARGV[12] or state ~= 'assigned') then
  return redis.error_reply('FORBIDDEN conversation is not assigned to this agent')
end
-- A messenger's reply window (WhatsApp 24 h; Messenger 24 h, or 7 days with the HUMAN_AGENT tag):
-- an agent's free text after it would never arrive, so it is refused before it is stored.
if ARGV[12] ~= '' and ARGV[13] ~= '1' then
  local w = redis.call('HMGET', KEYS[1], 'window_s', 'tag_window_s', 'last_customer_at')
  local ws, tws, last = tonumber(w[1] or ''), tonumber(w[2] or ''), tonumber(w[3] or '')
  local now = tonumber(ARGV[7])
  if ws and ws > 0 and last and now > last + ws and not (tws and tws > 0 and now <= last + tws) then
    return redis.error_reply('WINDOW the reply window is closed')
  end
end
if ARGV[1] ~= '' then
  local known = redis.call('HGET', KEYS[3], ARGV[1])
  if known then
    local entry = redis.call('XRANGE', KEYS[2], known .. '-0', known .. '-0')
    local fields = entry[1][2]
    local id, ts = '', ''
    for i = 1, #fields, 2 do
      if fields[i] == 'id' then id = fields[i + 1] elseif fields[i] == 'ts' then ts = fields[i + 1] end
    end
    return {tonumber(known), id, ts, 1, agent, visitor, language, waiting}
  end
end
if ARGV[9] ~= '1' and state == 'closed' then
  return redis.error_reply('CLOSED conversation is closed')
end
local limit = tonumber(ARGV[10])
if limit > 0 then
  local count = redis.call('INCR', KEYS[4])
  if count == 1 then redis.call('EXPIRE', KEYS[4], tonumber(ARGV[11])) end
  local before = tonumber(redis.call('GET', KEYS[7]) or '0') or 0
  if count + before * tonumber(ARGV[15]) > limit then
    return redis.error_reply('RATE too many messages')
  end
end
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
local mid = ARGV[2] .. seq
local entry = {'id', mid, 'kind', ARGV[3], 'name', ARGV[4], 'aid', ARGV[5], 'text', ARGV[6], 'ts', ARGV[7]}
if ARGV[1] ~= '' then
  table.insert(entry, 'cid')
  table.insert(entry, ARGV[1])
end
if ARGV[8] ~= '' then
  table.insert(entry, 'extra')
  table.insert(entry, ARGV[8])
end
redis.call('XADD', KEYS[2], seq .. '-0', unpack(entry))
if ARGV[1] ~= '' then
  redis.call('HSET', KEYS[3], ARGV[1], seq)
end
redis.call('HSET', KEYS[1], 'updated_at', ARGV[7], 'last_author', ARGV[3])
-- ov counts the conversation's archive entries: eviction waits until the archive has acknowledged the last
local ov = redis.call('HINCRBY', KEYS[1], 'ov', 1)
redis.call('XADD', KEYS[5], '*', 'k', 'msg', 'c', ARGV[14], 's', seq, 'ov', ov)
return {seq, mid, ARGV[7], 0, agent, visitor, language, waiting}
