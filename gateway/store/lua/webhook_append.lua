-- Keep one verified webhook body, unless every delivery in it was handled already (a platform's
-- retry of something done): one step, so the 200 costs one round trip.
-- KEYS[1] = the tenant's webhook stream, KEYS[2..n] = the delivery-state keys of the body's deliveries
-- ARGV[1] = channel id, ARGV[2] = the raw body
-- Returns 1 when stored, 0 when every delivery was done.
local done = #KEYS > 1
for i = 2, #KEYS do
  if redis.call('GET', KEYS[i]) ~= 'done' then done = false break end
end
if done then return 0 end
redis.call('XADD', KEYS[1], '*', 'channel', ARGV[1], 'body', ARGV[2])
return 1
