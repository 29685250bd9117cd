-- Take a job's cores and memory for all its parties, or nothing.
--
-- KEYS[1]  engine hash           KEYS[2]  job hash
-- KEYS[3]  in-use sorted set     KEYS[4]  lease sorted set
-- ARGV[1]  job id                ARGV[2]  engine name
-- ARGV[3]  now, epoch ms         ARGV[4]  lease expiry, epoch ms
-- ARGV[5]  parties, JSON list of {role, party_id, cores, memory, task_cores,
--          task_memory}: each party's share and what one of its tasks takes
-- ARGV[6]  job cores             ARGV[7]  job memory, MB
--
-- Returns {status, remaining cores, remaining memory}, remaining as after
-- the call. Status 1: applied. 0: the job has its resources already, so
-- nothing changed. -1: not enough remaining now. -2: no such engine.

local job_id, engine, now = ARGV[1], ARGV[2], ARGV[3]
local cores, memory = tonumber(ARGV[6]), tonumber(ARGV[7])

if redis.call('EXISTS', KEYS[1]) == 0 then return {-2, 0, 0} end
local remaining = redis.call('HMGET', KEYS[1], 'remaining_cores', 'remaining_memory')
local remaining_cores, remaining_memory = tonumber(remaining[1]), tonumber(remaining[2])
if redis.call('HGET', KEYS[2], 'in_use') == '1' then
  return {0, remaining_cores, remaining_memory}
end
if remaining_cores < cores or remaining_memory < memory then
  return {-1, remaining_cores, remaining_memory}
end

redis.call('HSET', KEYS[1],
  'remaining_cores', remaining_cores - cores,
  'remaining_memory', remaining_memory - memory,
  'update_time', now)
-- A job applying again after a return starts with a fresh allotment.
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[2], 'job_id', job_id, 'engine', engine, 'in_use', 1,
  'apply_time', now, 'cores', cores, 'memory', memory, 'parties', ARGV[5])
for _, party in ipairs(cjson.decode(ARGV[5])) do
  local key = party.role .. '/' .. party.party_id
  redis.call('HSET', KEYS[2],
    'allotted_cores:' .. key, party.cores, 'allotted_memory:' .. key, party.memory,
    'task_cores:' .. key, party.task_cores, 'task_memory:' .. key, party.task_memory,
    'used_cores:' .. key, 0, 'used_memory:' .. key, 0)
end
redis.call('ZADD', KEYS[3], now, job_id)
redis.call('ZADD', KEYS[4], ARGV[4], job_id)
return {1, remaining_cores - cores, remaining_memory - memory}
