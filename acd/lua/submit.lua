-- Entry script: a task arrives (the gateway queues a conversation for an agent).
-- KEYS[1] = tenant prefix "t:{tenant}:" (other keys derive from it, see keys.lua)
-- KEYS[2] = task hash t:{tenant}:acd:t:<task id>
-- ARGV[1] = now / ARGV[2] = task id / ARGV[3] = queue / ARGV[4] = channel / ARGV[5] = language
-- ARGV[6] = priority / ARGV[7] = enqueued_at / ARGV[8] = meta (JSON text, handed back in offers)
-- ARGV[9] = conversation record HASH kept in step with the task ('' = none; see record.lua)
-- Errors: unknown_queue, bad_request (a record outside the tenant's keys).
-- Returns {effects, state, queue, rank}: rank (0 = next) within its queue and channel while it
-- waits. A task already queued/offered/assigned/in wrap-up is left alone.
local now = tonumber(ARGV[1])
local tid, q, ch, lang = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local rec = ARGV[9]
local Q = A.queue(q)
if not Q then return A.fail('unknown_queue', q) end
-- checked in Engine.submit too; here as well, because a foreign key would leave the tenant's slot
if rec ~= '' and (string.sub(rec, 1, #P) ~= P or string.sub(rec, 1, #P + 4) == P .. 'acd:') then
  return A.fail('bad_request', 'The conversation record must be a key of this tenant outside the ACD.')
end
local state = redis.call('HGET', KEYS[2], 'state')
if state and state ~= 'closed' then return A.reply({state = state, duplicate = true}) end

local prio, enq = tonumber(ARGV[6]), tonumber(ARGV[7])
redis.call('DEL', KEYS[2], K.task_tried(tid))
redis.call('HSET', KEYS[2], 'queue', q, 'entry_queue', q, 'ch', ch, 'lang', lang, 'prio', prio,
  'pbase', prio + (tonumber(Q.priority) or 0), 'enq', enq, 'meta', ARGV[8], 'state', 'between',
  'answered', 0, 'head', 0, 'step', 1, 'created_at', now, 'rec', rec)
redis.call('SADD', K.tasks(), tid)
local T = A.task(tid)
local closed = A.closed(q, now)
A.count(q, now, 'submit', {'task', tid, 'ch', ch, 'lang', lang, 'prio', prio, 'enq', enq},
  {arrivals = 1, arrivals_closed = closed and 1 or 0})
-- outside business hours the queue's rule decides: wait for the opening, or escalate at once
local first = 1
if closed and A.when_closed(q) == 'escalate' then first = A.escalation_step(Q) or 1 end
A.enter_steps(T, first, now, false)
A.place(T, now)
if T.state == 'queued' then
  return A.reply({state = T.state, queue = T.queue, rank = redis.call('ZRANK', K.queue_order(T.queue, T.ch), T.id)})
end
return A.reply({state = T.state})
