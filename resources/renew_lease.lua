-- Extend the lease of a job that holds resources (its heartbeat).
--
-- KEYS[1]  job hash              KEYS[2]  lease sorted set
-- ARGV[1]  job id                ARGV[2]  new lease expiry, epoch ms
--
-- Returns 1 when the lease was extended, 0 when the job holds nothing.

if redis.call('HGET', KEYS[1], 'in_use') ~= '1' then return 0 end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
return 1
