-- Erase one contact's Redis footprint in one step (gateway/history/privacy.py): delete the keys,
-- take the ids out of the tenant's indexes, empty the meta (the contact's name and email) and drop the
-- rating comment of the ACD tasks that carried it without touching the task itself (an agent may still
-- be in its wrap-up), and drop the archive outbox entries still waiting for the erased conversations
-- and contacts.
-- KEYS[1] = the archive outbox STREAM, KEYS[2..1+d] = keys to delete,
-- KEYS[2+d..1+d+t] = ACD task hashes to scrub, KEYS[2+d+t..] = indexes (ZSETs) to remove the ids from
-- ARGV[1] = d, ARGV[2] = t, ARGV[3] = the archive consumer group, ARGV[4] = n outbox entry ids,
-- ARGV[5..4+n] = outbox entry ids, ARGV[5+n..] = ids to remove from every index
-- Returns {keys deleted, outbox entries dropped}.
local d, t, n = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[4])
local deleted = 0
for i = 2, 1 + d do deleted = deleted + redis.call('DEL', KEYS[i]) end
for i = 2 + d, 1 + d + t do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    redis.call('HSET', KEYS[i], 'meta', '{}')
    redis.call('HDEL', KEYS[i], 'rating_comment')  -- what the customer wrote with a rating (acd/lua/rate.lua)
  end
end
local members = {}
for i = 5 + n, #ARGV do members[#members + 1] = ARGV[i] end
if #members > 0 then
  for i = 2 + d + t, #KEYS do redis.call('ZREM', KEYS[i], unpack(members)) end
end
local dropped = 0
if n > 0 then
  local ids = {}
  for i = 5, 4 + n do ids[#ids + 1] = ARGV[i] end
  pcall(redis.call, 'XACK', KEYS[1], ARGV[3], unpack(ids))
  dropped = redis.call('XDEL', KEYS[1], unpack(ids))
end
return {deleted, dropped}
