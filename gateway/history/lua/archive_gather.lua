-- What one archive batch writes, read in one call instead of a command per conversation, message and
-- contact (the archive reads back every stored message: one round trip per batch, not per message).
-- KEYS = c conversation HASHes, then m message STREAMs (one per message, repeated for a conversation's
-- several), then k contact HASHes followed by the k contacts' identity SETs
-- ARGV[1] = c, ARGV[2] = m, ARGV[3] = k, ARGV[4..3+m] = each message's seq
-- Returns c + m + 2k replies: each conversation's fields, each message's fields, then each contact's
-- fields and its identity set's members; fields as a flat list of names and values ({} when gone:
-- evicted or purged).
local c, m, k = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local out = {}
for i = 1, c do out[#out + 1] = redis.call('HGETALL', KEYS[i]) end
for i = 1, m do
  local id = ARGV[3 + i] .. '-0'
  local found = redis.call('XRANGE', KEYS[c + i], id, id)
  out[#out + 1] = found[1] and found[1][2] or {}
end
for i = 1, k do
  out[#out + 1] = redis.call('HGETALL', KEYS[c + m + i])
  out[#out + 1] = redis.call('SMEMBERS', KEYS[c + m + k + i])
end
return out
