-- The mirror posted a line into a conversation's Slack thread: remember its ts with the thread (an
-- erasure deletes it in Slack) and as ours (it never comes back as an agent's words). When the
-- conversation's Slack record was erased while the post was on its way, the line goes straight to
-- the erasure's queue instead, so nothing about an erased contact stays in Slack or here.
-- KEYS[1] = the conversation's Slack thread HASH, KEYS[2] = its lines LIST, KEYS[3] = the posted STRING
-- of this ts, KEYS[4] = the tenant's Slack erasure queue LIST
-- ARGV[1] = app id, ARGV[2] = Slack channel, ARGV[3] = ts, ARGV[4] = seconds the posted mark is kept
-- Returns 1 when recorded with its thread, 0 when queued for deletion.
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('RPUSH', KEYS[2], ARGV[3])
  redis.call('SET', KEYS[3], '1', 'EX', tonumber(ARGV[4]))
  return 1
end
redis.call('RPUSH', KEYS[4], cjson.encode({app = ARGV[1], channel = ARGV[2], ts = ARGV[3]}))
return 0
