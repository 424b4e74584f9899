-- KEYS[1] = tenant prefix of the entry script this library runs in; ARGV[1] = now (every entry's)
-- Library: the conversation record. A task submitted with a record (task field `rec`, the name of
-- a HASH of the caller's that starts with the tenant prefix) has that hash rewritten from the task
-- at the end of every call that changed the task's state or queue (A.set marks it), inside the
-- same script, so the record and the ACD's load can never be seen apart. The mapping is
-- documented in acd/model.py and restated in acd/devtools/audit.py (record_problems): change all three.

-- The record's fields for the task's current state.
local function record_fields(tid)
  local f = redis.call('HMGET', K.task(tid), 'rec', 'state', 'agent', 'queue', 'assigned_at', 'ended_at',
    'closed_at', 'close_reason')
  local rec, state, agent, queue = f[1], f[2], f[3] or '', f[4] or ''
  if not rec or rec == '' or not state then return nil end
  if state == 'queued' or state == 'between' then
    return rec, {'state', 'queued', 'agent_id', '', 'queue', queue}
  elseif state == 'offered' then
    return rec, {'state', 'offered', 'agent_id', agent, 'queue', queue}
  elseif state == 'assigned' then
    return rec, {'state', 'assigned', 'agent_id', agent, 'assigned_at', f[5] or '', 'queue', queue}
  end
  -- wrapup or closed: the conversation ended when the agent (or visitor) closed it (ended_at),
  -- not when the wrap-up did; closed unanswered (no ended_at), nobody holds it.
  local ended = f[6]
  local out = {'state', 'closed', 'closed_at', (ended and ended ~= '') and ended or (f[7] or ''),
    'close_reason', f[8] or '', 'queue', queue}
  if state == 'wrapup' then
    out[#out + 1], out[#out + 2] = 'agent_id', agent
  elseif not ended or ended == '' then
    out[#out + 1], out[#out + 2] = 'agent_id', ''
  end
  return rec, out
end

function A.sync_records()
  local now = tonumber(ARGV[1])
  for tid, _ in pairs(CACHE.records) do
    local rec, fields = record_fields(tid)
    -- never create the hash: a record purged by retention must not come back as a stub
    if rec and redis.call('EXISTS', rec) == 1 then
      local names = {}
      for i = 1, #fields, 2 do names[#names + 1] = fields[i] end
      local have = redis.call('HMGET', rec, unpack(names))
      local same = true
      for i, v in ipairs(have) do
        if v ~= tostring(fields[2 * i]) then same = false end
      end
      if not same then
        fields[#fields + 1], fields[#fields + 2] = 'updated_at', now
        redis.call('HSET', rec, unpack(fields))
      end
    end
  end
  CACHE.records = {}
end
