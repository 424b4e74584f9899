-- Take one webhook delivery for handling, unless it was handled already or another consumer holds it.
-- KEYS[1] = the delivery's state key ("done" | "failed" | "retry:<n>" | "working:<n>:<consumer>")
-- ARGV[1] = consumer name, ARGV[2] = lease in ms
-- Returns the attempt number (0 the first time), -2 when done before, -1 when someone holds it.
local state = redis.call('GET', KEYS[1])
if state == 'done' or state == 'failed' then return -2 end
if state and string.sub(state, 1, 8) == 'working:' then return -1 end
local attempt = 0
if state and string.sub(state, 1, 6) == 'retry:' then attempt = tonumber(string.sub(state, 7)) or 0 end
redis.call('SET', KEYS[1], 'working:' .. attempt .. ':' .. ARGV[1], 'PX', ARGV[2])
return attempt
