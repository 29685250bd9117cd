-- Give one task's cores and memory back to its party's share of the job.
--
-- KEYS[1]  job hash
-- ARGV[1]  party, "role/party_id"   ARGV[2]  task, "component/role/party_id"
--
-- Returns {status, cores, memory}, the figures given back. Status 1:
-- returned. 0: the task has no share (or the job's resources were returned
-- already, which ends every task's share).

local party, task = ARGV[1], 'task:' .. ARGV[2]
if redis.call('HGET', KEYS[1], 'in_use') ~= '1' then return {0, 0, 0} end
local held = redis.call('HGET', KEYS[1], task)
if not held then return {0, 0, 0} end
local cores, memory = string.match(held, '(%d+) (%d+)')
cores, memory = tonumber(cores), tonumber(memory)
-- 0 - n, not -n: Lua writes -0 as "-0", which HINCRBY rejects.
redis.call('HINCRBY', KEYS[1], 'used_cores:' .. party, 0 - cores)
redis.call('HINCRBY', KEYS[1], 'used_memory:' .. party, 0 - memory)
redis.call('HDEL', KEYS[1], task)
return {1, cores, memory}
