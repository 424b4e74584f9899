-- KEYS[1] = tenant prefix of the entry script this library runs in (no other KEYS or ARGV read here)
-- Library: what each timer does when it fires. Members of the timers ZSET are "kind|id":
-- offer|<offer id>, step|<task>, wrap|<task>, grace|<agent>, node|<node>, cool|<agent>|<task>. A handler re-checks the
-- state it acts on, so a timer left behind by a decision that already happened does nothing.

function A.offer_expired(oid, now)
  local tid = redis.call('HGET', K.offers(), oid)
  if not tid then return end
  local T = A.task(tid)
  if T == nil or T.state ~= 'offered' or T.offer ~= oid then return end
  local g = A.agent(T.agent)
  A.revoke(T, g, now, 'expired')
  g.missed = g.missed + 1
  redis.call('HSET', K.agent(g.id), 'missed', g.missed)
  if g.missed >= A.cfg().max_missed and g.state == 'available' then
    A.set_state(g, 'away', 'missed_offers', now)
  end
  A.requeue_refused(T, g, now)
end

function A.wrap_over(tid, now)
  local T = A.task(tid)
  if T == nil or T.state ~= 'wrapup' then return end
  A.end_wrapup(T, A.agent(T.agent), now, '')
end

function A.fire(member, now)
  local bar = string.find(member, '|', 1, true)
  local kind, id = string.sub(member, 1, bar - 1), string.sub(member, bar + 1)
  if kind == 'offer' then A.offer_expired(id, now)
  elseif kind == 'step' then A.step_timeout(id, now)
  elseif kind == 'wrap' then A.wrap_over(id, now)
  elseif kind == 'grace' then A.grace_over(id, now)
  elseif kind == 'node' then A.node_expired(id, now)
  elseif kind == 'cool' then A.cooldown_over(id, now)
  end
end
