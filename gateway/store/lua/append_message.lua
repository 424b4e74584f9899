-- Append one message to a conversation, idempotent by client id, numbering it with the next seq.
-- KEYS[1] = conversation hash, KEYS[2] = message stream, KEYS[3] = client-id hash
-- ARGV[1] = client_id ("" = none), ARGV[2] = message id, ARGV[3] = author kind,
-- ARGV[4] = author name, ARGV[5] = author id, ARGV[6] = text, ARGV[7] = ts (epoch s),
-- ARGV[8] = extra JSON ("" = none), ARGV[9] = "1" to allow appending to a closed conversation
-- Returns {seq, id, ts, duplicate(0|1)}; errors NOCONV, CLOSED.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return redis.error_reply('NOCONV conversation does not exist')
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
    return {tonumber(known), id, ts, 1}
  end
end
if ARGV[9] ~= '1' and redis.call('HGET', KEYS[1], 'state') == 'closed' then
  return redis.error_reply('CLOSED conversation is closed')
end
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
local entry = {'id', ARGV[2], 'kind', ARGV[3], 'name', ARGV[4], 'aid', ARGV[5], 'text', ARGV[6], 'ts', ARGV[7]}
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
return {seq, ARGV[2], ARGV[7], 0}
