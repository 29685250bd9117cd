-- Take one task's cores and memory from its party's share of the job. What
-- a task takes was fixed when the job applied, so later setting changes do
-- not alter running jobs.
--
-- KEYS[1]  job hash
-- ARGV[1]  party, "role/party_id"   ARGV[2]  task, "component/role/party_id"
--
-- Returns {status, free cores, free memory, task cores, task memory}: the
-- party's share left after the call and what one task takes (MB). Status 1: applied. 0: the task has its share already.
-- -1: the job has no resources. -2: the party is not in the job.
-- -3: not enough left in the party's share now.

local party, task = ARGV[1], 'task:' .. ARGV[2]

if redis.call('HGET', KEYS[1], 'in_use') ~= '1' then return {-1, 0, 0, 0, 0} end
local share = redis.call('HMGET', KEYS[1], 'allotted_cores:' .. party,
  'allotted_memory:' .. party, 'used_cores:' .. party, 'used_memory:' .. party,
  'task_cores:' .. party, 'task_memory:' .. party)
if not share[1] then return {-2, 0, 0, 0, 0} end
local free_cores = tonumber(share[1]) - tonumber(share[3])
local free_memory = tonumber(share[2]) - tonumber(share[4])
local cores, memory = tonumber(share[5]), tonumber(share[6])
if redis.call('HEXISTS', KEYS[1], task) == 1 then
  return {0, free_cores, free_memory, cores, memory}
end
if free_cores < cores or free_memory < memory then
  return {-3, free_cores, free_memory, cores, memory}
end
redis.call('HINCRBY', KEYS[1], 'used_cores:' .. party, cores)
redis.call('HINCRBY', KEYS[1], 'used_memory:' .. party, memory)
redis.call('HSET', KEYS[1], task, cores .. ' ' .. memory)
return {1, free_cores - cores, free_memory - memory, cores, memory}
