-- Entry script: the customer rated a conversation that has ended. Once per task: the first rating
-- is kept (on the task hash, field `rating`) and logged as a `rated` event, so the historical
-- reports can sum satisfaction per queue, work channel and agent; a second one changes nothing.
-- KEYS[1] = tenant prefix / KEYS[2] = task hash t:{tenant}:acd:t:<task id>
-- ARGV[1] = now / ARGV[2] = task id / ARGV[3] = score 1..5 / ARGV[4] = agent who handled it ('' = none)
-- ARGV[5] = the customer's comment ('' = none): kept on the task hash (`rating_comment`) in the same step as the
-- event, so whoever reads the `rated` event (the event webhooks) finds the comment with it
-- Reply: {state} and rated = 1 (recorded) | 0 (already rated: `rating` holds the first score);
-- state 'unknown' (no such task, or gone after its 24 h) and any state but wrapup/closed record nothing.
local now, tid, score, agent, comment = tonumber(ARGV[1]), ARGV[2], ARGV[3], ARGV[4], ARGV[5] or ''
if redis.call('EXISTS', KEYS[2]) == 0 then return A.reply({state = 'unknown', rated = 0}) end
local T = A.task(tid)
if T.state ~= 'closed' and T.state ~= 'wrapup' then return A.reply({state = T.state, rated = 0}) end
if redis.call('HSETNX', KEYS[2], 'rating', score) == 0 then
  return A.reply({state = T.state, rated = 0, rating = redis.call('HGET', KEYS[2], 'rating')})
end
if comment ~= '' then redis.call('HSET', KEYS[2], 'rating_comment', comment) end
A.log('rated', now, {'task', tid, 'q', T.queue, 'ch', T.ch or '', 'agent', agent, 'score', score})
return A.reply({state = T.state, rated = 1})
