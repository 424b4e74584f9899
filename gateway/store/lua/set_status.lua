-- What became of an agent's message on a messenger, applied monotonically: held < sent < delivered
-- < read; failed is terminal and keeps the platform's reason. One field per message seq:
-- "status|sent_at|reason".
-- KEYS[1] = the conversation's status hash
-- ARGV[1] = seq ("" = a read watermark: every message sent at or before ARGV[4] is read),
-- ARGV[2] = status, ARGV[3] = reason, ARGV[4] = ts (when the status happened; the watermark)
-- Returns the seqs whose status changed.
local rank = {held = 0, sent = 1, delivered = 2, read = 3, failed = 4}
local new = rank[ARGV[2]]
if new == nil then return redis.error_reply('BADSTATUS unknown status') end
local changed = {}

local function apply(seq, current)
  local status, sent_at = '', ARGV[4]
  if current then
    status, sent_at = string.match(current, '^([^|]*)|([^|]*)|')
  end
  local old = rank[status]
  if old ~= nil and (old == 4 or old >= new) then return end
  if ARGV[2] == 'sent' or not current then sent_at = ARGV[4] end
  redis.call('HSET', KEYS[1], seq, ARGV[2] .. '|' .. sent_at .. '|' .. ARGV[3])
  table.insert(changed, seq)
end

if ARGV[1] ~= '' then
  apply(ARGV[1], redis.call('HGET', KEYS[1], ARGV[1]))
else
  local all = redis.call('HGETALL', KEYS[1])
  local watermark = tonumber(ARGV[4])
  for i = 1, #all, 2 do
    local sent_at = tonumber(string.match(all[i + 1], '^[^|]*|([^|]*)|') or '')
    if sent_at and sent_at <= watermark then apply(all[i], all[i + 1]) end
  end
end
return changed
