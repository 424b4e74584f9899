-- Shared by the consumers of a tenant's archive outbox (the history archive, the event webhooks, the Slack
-- mirror): an entry may be deleted only once no consumer group still needs it. Prepended to the scripts
-- that use it (LuaScript.from_file(..., libs=[...])); defines local functions only.

-- stream id a <= stream id b
local function stream_id_le(a, b)
  local a1, a2 = string.match(a, '(%d+)-(%d+)')
  local b1, b2 = string.match(b, '(%d+)-(%d+)')
  a1, a2, b1, b2 = tonumber(a1), tonumber(a2), tonumber(b1), tonumber(b2)
  return a1 < b1 or (a1 == b1 and a2 <= b2)
end

-- The ids among `ids` that every consumer group of `stream` other than `except` (nil: every group) has
-- read (at or before its last-delivered-id) and does not hold pending. With no such group: all of them.
local function unneeded(stream, except, ids)
  local groups = {}
  for _, g in ipairs(redis.call('XINFO', 'GROUPS', stream)) do
    local name, last
    for f = 1, #g, 2 do
      if g[f] == 'name' then name = g[f + 1] elseif g[f] == 'last-delivered-id' then last = g[f + 1] end
    end
    if name ~= except then groups[#groups + 1] = {name, last} end
  end
  if #groups == 0 then return ids end
  local gone = {}
  for _, id in ipairs(ids) do
    local done = true
    for _, o in ipairs(groups) do
      if not stream_id_le(id, o[2]) or #redis.call('XPENDING', stream, o[1], id, id, 1) > 0 then
        done = false
        break
      end
    end
    if done then gone[#gone + 1] = id end
  end
  return gone
end
