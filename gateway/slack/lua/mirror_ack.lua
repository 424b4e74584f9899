-- The Slack mirror is done with these archive outbox entries: acknowledge them for its consumer
-- group and delete those no other group still needs (the history archive, the event webhooks), as
-- gateway/history/lua/archive_ack.lua does for its own group.
-- KEYS[1] = the tenant's archive outbox STREAM
-- ARGV[1] = our consumer group, ARGV[2..] = entry ids
-- Returns the number of entries deleted.
local ids = {}
for i = 2, #ARGV do ids[#ids + 1] = ARGV[i] end
if #ids == 0 then return 0 end
redis.call('XACK', KEYS[1], ARGV[1], unpack(ids))
local gone = unneeded(KEYS[1], ARGV[1], ids)  -- lib/stream_groups.lua
if #gone > 0 then return redis.call('XDEL', KEYS[1], unpack(gone)) end
return 0
