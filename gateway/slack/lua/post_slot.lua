-- The next post slot of one Slack channel, shared by every gateway process: Slack takes about one
-- chat.postMessage per second per channel (beyond that: 429), whichever process posts. Times are
-- Redis's, so processes on several hosts agree whatever their clocks say.
-- KEYS[1] = the channel's slot STRING (ms of the last slot reserved)
-- ARGV[1] = the interval between two posts, ms
-- Returns the ms this post waits for its slot (0: it may go now).
local now = redis.call('TIME')
now = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local interval = tonumber(ARGV[1])
local last = tonumber(redis.call('GET', KEYS[1]) or '') or 0
local slot = math.max(now, last + interval)
redis.call('SET', KEYS[1], slot, 'PX', slot - now + interval + 1000)
return slot - now
