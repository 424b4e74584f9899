-- The thread's first message now shows this state: remember it with the thread, unless the thread's
-- record is gone meanwhile (an erasure): a late update must not bring back a stub of it.
-- KEYS[1] = the conversation's Slack thread HASH
-- ARGV[1] = the shown state (gateway/slack/blocks.py shown_state)
-- Returns 1 when remembered, 0 when the thread is gone.
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'shown', ARGV[1])
return 1
