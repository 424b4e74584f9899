-- Entry script: the language of a task still waiting in its queue changed (the customer's messages
-- showed another language). It keeps its queue, step, priority and enqueue time, so its place in
-- line, and moves to the new language's waiting bucket; a free agent who speaks it is offered it
-- at once. Only while queued: an offered, assigned or wrapped-up task keeps its language.
-- KEYS[1] = tenant prefix / KEYS[2] = task hash t:{tenant}:acd:t:<task id>
-- ARGV[1] = now / ARGV[2] = task id / ARGV[3] = the new language
-- Errors: bad_request (no language), unknown_task (none, or closed), invalid_state (not queued).
-- Returns {effects, state, changed}.
local now, tid, lang = tonumber(ARGV[1]), ARGV[2], ARGV[3]
if lang == '' then return A.fail('bad_request', 'A task needs a language.') end
if redis.call('EXISTS', KEYS[2]) == 0 then return A.fail('unknown_task', tid) end
local T = A.task(tid)
if T.state == 'closed' then return A.fail('unknown_task', tid) end
if T.state ~= 'queued' then return A.fail('invalid_state', T.state) end
if T.lang == lang then return A.reply({state = T.state, changed = false}) end
local from = T.lang or ''
T.lang = lang
A.set(T, 'lang', lang)
A.log('relanguage', now, {'task', T.id, 'q', T.queue, 'from', from, 'lang', lang})
A.leave_bucket(T)
A.place(T, now)
return A.reply({state = T.state, changed = true})
