-- Add or remove one label of a conversation (field labels: comma-separated ids, in the order added)
-- and append the change to the archive outbox in the same step, like update_conversation.lua.
-- KEYS[1] = conversation hash, KEYS[2] = the tenant's archive outbox STREAM
-- ARGV[1] = conversation id, ARGV[2] = "add" | "remove", ARGV[3] = label id (no comma),
-- ARGV[4] = agent id that holds (or held, during wrap-up) the conversation ("" = no check),
-- ARGV[5] = now (epoch s)
-- Returns the labels after the change (comma-separated); errors NOCONV, FORBIDDEN.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return redis.error_reply('NOCONV conversation does not exist')
end
if ARGV[4] ~= '' and redis.call('HGET', KEYS[1], 'agent_id') ~= ARGV[4] then
  return redis.error_reply('FORBIDDEN conversation is not assigned to this agent')
end
local current = redis.call('HGET', KEYS[1], 'labels') or ''
local out, present = {}, false
for label in string.gmatch(current, '[^,]+') do
  if label == ARGV[3] then
    present = true
    if ARGV[2] ~= 'remove' then table.insert(out, label) end
  else
    table.insert(out, label)
  end
end
if ARGV[2] == 'add' and not present then table.insert(out, ARGV[3]) end
local joined = table.concat(out, ',')
if joined ~= current then
  redis.call('HSET', KEYS[1], 'labels', joined, 'updated_at', ARGV[5])
  local ov = redis.call('HINCRBY', KEYS[1], 'ov', 1)
  redis.call('XADD', KEYS[2], '*', 'k', 'conv', 'c', ARGV[1], 'ov', ov)
end
return joined
