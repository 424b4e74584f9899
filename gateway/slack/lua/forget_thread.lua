-- Erasure of a contact (gateway/history/privacy.py): forget one conversation's Slack thread here and
-- queue every message we posted in it for chat.delete (the replies first, the thread's first message
-- last, so Slack keeps no "deleted message" stub with replies under it). One step, so a line the
-- mirror posts meanwhile is either in the list read here or finds the thread gone (mirror_line.lua).
-- KEYS[1] = the tenant's Slack erasure queue LIST, KEYS[2] = the thread HASH, KEYS[3] = its lines LIST,
-- KEYS[4..n] = further keys to delete (the thread's lookup by ts, the posted marks known to the caller)
-- ARGV[1] = app id, ARGV[2] = Slack channel, ARGV[3] = the thread's first message ts
-- Returns the number of messages queued for deletion.
local lines = redis.call('LRANGE', KEYS[3], 0, -1)
local queued = 0
for _, ts in ipairs(lines) do
  redis.call('RPUSH', KEYS[1], cjson.encode({app = ARGV[1], channel = ARGV[2], ts = ts}))
  queued = queued + 1
end
if ARGV[3] ~= '' then
  redis.call('RPUSH', KEYS[1], cjson.encode({app = ARGV[1], channel = ARGV[2], ts = ARGV[3]}))
  queued = queued + 1
end
for i = 2, #KEYS do redis.call('DEL', KEYS[i]) end
return queued
