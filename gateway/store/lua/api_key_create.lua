-- Record a new API key of a tenant, unless the tenant has a key of that name that is not revoked.
-- KEYS[1] = the tenant's API keys HASH (id -> JSON record), KEYS[2] = its names HASH (name -> id)
-- ARGV[1] = key id, ARGV[2] = name, ARGV[3] = the record (JSON)
-- Returns 1 when recorded, 0 when the name is taken.
if redis.call('HSETNX', KEYS[2], ARGV[2], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1
