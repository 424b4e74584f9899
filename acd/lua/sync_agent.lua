-- Entry script: write an agent's profile from the config (name, languages, skills, capacity,
-- auto_accept). Idempotent; keeps live state and load. A logged-in agent is re-indexed under the
-- new profile in the same step.
-- KEYS[1] = tenant prefix / KEYS[2] = agent hash t:{tenant}:acd:a:<agent id>
-- ARGV[1] = now / ARGV[2] = agent id / ARGV[3] = name / ARGV[4] = languages JSON list /
-- ARGV[5] = skills JSON {skill: 1..5} / ARGV[6] = capacity JSON {channel: n} / ARGV[7] = auto_accept 0|1
local now, a = tonumber(ARGV[1]), ARGV[2]
local g = A.agent(a)
if g and g.state ~= 'offline' then
  A.reindex(g, true)
  A.count_logged_in(g, -1)
  if g.state == 'available' then A.count_serving(g, -1) end
end
redis.call('HSET', KEYS[2], 'name', ARGV[3], 'langs', ARGV[4], 'skills', ARGV[5], 'cap', ARGV[6], 'auto', ARGV[7])
if g == nil then
  redis.call('HSET', KEYS[2], 'state', 'offline', 'state_since', now, 'idle_since', now, 'missed', 0,
    'ixc', '', 'l:chat', 0, 'l:messaging', 0, 'l:email', 0, 'l:voice', 0)
  redis.call('SADD', K.agents(), a)
end
CACHE.agents[a], CACHE.dirty[a] = nil, nil
g = A.agent(a)
if g.state ~= 'offline' then
  A.count_logged_in(g, 1)
  if g.state == 'available' then A.count_serving(g, 1) end
  A.reindex(g)
  if g.state == 'available' then A.agent_free(a, now) end
end
return A.reply({})
