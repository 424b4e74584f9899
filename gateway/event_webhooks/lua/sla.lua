-- A waiting task has passed its queue's service-level threshold: note it on the task (once) and
-- append an sla.breached record to the archive outbox in the same step, while the tenant has
-- webhook subscriptions. Any gateway process may look; the mark makes it happen once.
-- KEYS[1] = the ACD task HASH, KEYS[2] = the archive outbox STREAM, KEYS[3] = the subscriptions SET
-- ARGV[1] = conversation id, ARGV[2] = queue, ARGV[3] = threshold seconds, ARGV[4] = waited seconds
-- Returns 1 when recorded now.
if redis.call('SCARD', KEYS[3]) == 0 then return 0 end
local state = redis.call('HGET', KEYS[1], 'state')
if state ~= 'queued' and state ~= 'offered' and state ~= 'between' then return 0 end
if redis.call('HSETNX', KEYS[1], 'sla_breached', '1') == 0 then return 0 end
local data = cjson.encode({conversation_id = ARGV[1], queue = ARGV[2], threshold_s = tonumber(ARGV[3]),
  waited_s = tonumber(ARGV[4])})
redis.call('XADD', KEYS[2], '*', 'k', 'event', 't', 'sla.breached', 'key', ARGV[1], 'data', data)
return 1
