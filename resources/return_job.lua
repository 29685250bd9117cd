-- Give a job's cores and memory back to its engine.
--
-- KEYS[1]  engine hash           KEYS[2]  job hash
-- KEYS[3]  in-use sorted set     KEYS[4]  lease sorted set
-- ARGV[1]  job id                ARGV[2]  engine name
-- ARGV[3]  now, epoch ms
-- ARGV[4]  lease deadline, epoch ms: return only if the job's lease expires
--          at or before it. 0 returns unconditionally.
--
-- Returns {status, cores, memory}, the figures given back. Status 1:
-- returned. 0: the job has nothing, so nothing changed. -1: the lease was
-- renewed after the deadline, so nothing changed. -3: the job's resources
-- belong to another engine than ARGV[2].

local job_id, now = ARGV[1], ARGV[3]

if redis.call('HGET', KEYS[2], 'in_use') ~= '1' then return {0, 0, 0} end
if redis.call('HGET', KEYS[2], 'engine') ~= ARGV[2] then return {-3, 0, 0} end
if ARGV[4] ~= '0' then
  local expiry = redis.call('ZSCORE', KEYS[4], job_id)
  if expiry and tonumber(expiry) > tonumber(ARGV[4]) then return {-1, 0, 0} end
end

local held = redis.call('HMGET', KEYS[2], 'cores', 'memory')
local cores, memory = tonumber(held[1]), tonumber(held[2])
local engine = redis.call('HMGET', KEYS[1], 'remaining_cores', 'remaining_memory')
local remaining_cores = tonumber(engine[1]) + cores
local remaining_memory = tonumber(engine[2]) + memory
redis.call('HSET', KEYS[1], 'remaining_cores', remaining_cores,
  'remaining_memory', remaining_memory, 'update_time', now)
redis.call('HSET', KEYS[2], 'in_use', 0, 'return_time', now)
redis.call('ZREM', KEYS[3], job_id)
redis.call('ZREM', KEYS[4], job_id)
return {1, cores, memory}
