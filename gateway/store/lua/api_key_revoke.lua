-- Revoke an API key: its record says when (the first revocation's time stays), and its name is free.
-- The record is what every request checks, so the key is refused from the next request on, in every process.
-- KEYS[1] = the tenant's API keys HASH (id -> JSON record), KEYS[2] = its names HASH (name -> id)
-- ARGV[1] = key id, ARGV[2] = now (epoch s)
-- Returns the record (JSON) as it is afterwards, or false when the tenant has no such key.
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return false end
local record = cjson.decode(raw)
if record['revoked_at'] == nil or record['revoked_at'] == cjson.null then
  record['revoked_at'] = tonumber(ARGV[2])
  raw = cjson.encode(record)
  redis.call('HSET', KEYS[1], ARGV[1], raw)
end
if redis.call('HGET', KEYS[2], record['name']) == ARGV[1] then redis.call('HDEL', KEYS[2], record['name']) end
return raw
