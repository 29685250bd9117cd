-- Take one task's cores and memory from its party's share of the job.
--
-- KEYS[1]  job hash
-- ARGV[1]  party, "role/party_id"   ARGV[2]  task, "component/role/party_id"
-- ARGV[3]  task cores               ARGV[4]  task memory, MB
--
-- Returns {status, free cores, free memory}, the party's share left after
-- the call. Status 1: applied. 0: the task holds its share already.
-- -1: the job holds no resources. -2: the party is not in the job.
-- -3: not enough left in the party's share now.

local party, task = ARGV[1], 'task:' .. ARGV[2]
local cores, memory = tonumber(ARGV[3]), tonumber(ARGV[4])

if redis.call('HGET', KEYS[1], 'in_use') ~= '1' then return {-1, 0, 0} end
local share = redis.call('HMGET', KEYS[1], 'allotted_cores:' .. party,
  'allotted_memory:' .. party, 'used_cores:' .. party, 'used_memory:' .. party)
if not share[1] then return {-2, 0, 0} end
local free_cores = tonumber(share[1]) - tonumber(share[3])
local free_memory = tonumber(share[2]) - tonumber(share[4])
if redis.call('HEXISTS', KEYS[1], task) == 1 then
  return {0, free_cores, free_memory}
end
if free_cores < cores or free_memory < memory then
  return {-3, free_cores, free_memory}
end
redis.call('HINCRBY', KEYS[1], 'used_cores:' .. party, cores)
redis.call('HINCRBY', KEYS[1], 'used_memory:' .. party, memory)
redis.call('HSET', KEYS[1], task, cores .. ' ' .. memory)
return {1, free_cores - cores, free_memory - memory}
