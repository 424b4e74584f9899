-- Entry script: an agent declines an offer; the task goes to the next agent, the agent gets the
-- next task it may take (this one only after the queue's cool-down, see cooldown.lua).
-- KEYS[1] = tenant prefix / KEYS[2] = open offers hash t:{tenant}:acd:offers
-- ARGV[1] = now / ARGV[2] = agent id / ARGV[3] = offer id
-- Errors: offer_gone, not_your_offer.
local now, a, oid = tonumber(ARGV[1]), ARGV[2], ARGV[3]
local tid = redis.call('HGET', KEYS[2], oid)
if not tid then return A.fail('offer_gone', oid) end
local T = A.task(tid)
if T == nil or T.state ~= 'offered' or T.offer ~= oid then return A.fail('offer_gone', oid) end
if T.agent ~= a then return A.fail('not_your_offer', oid) end
if tonumber(T.offer_exp) < now then return A.fail('offer_gone', 'expired') end
local g = A.agent(a)
A.revoke(T, g, now, 'declined')
-- A decline is an answer: it breaks a run of missed offers.
g.missed = 0
redis.call('HSET', K.agent(a), 'missed', 0)
A.requeue_refused(T, g, now)
return A.reply({task_id = tid})
