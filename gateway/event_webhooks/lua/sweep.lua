-- After the tenant's last subscription went (its group destroyed): delete the outbox entries that
-- only the webhooks held back, i.e. those every remaining consumer group has acknowledged. With no
-- group left (no history database) nothing is deleted: the outbox stays as it is without webhooks.
-- KEYS[1] = the archive outbox STREAM; ARGV = entry ids
-- Returns the number of entries deleted.
local groups = redis.call('XINFO', 'GROUPS', KEYS[1])
if #groups == 0 or #ARGV == 0 then return 0 end
local gone = unneeded(KEYS[1], nil, ARGV)  -- lib/stream_groups.lua
if #gone == 0 then return 0 end
return redis.call('XDEL', KEYS[1], unpack(gone))
