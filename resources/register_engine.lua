-- Register a computing engine, or update its size after a config change.
--
-- KEYS[1]  engine hash
-- ARGV[1]  total cores          ARGV[2]  total memory, MB
-- ARGV[3]  nodes                ARGV[4]  cores per node
-- ARGV[5]  memory per node, MB  ARGV[6]  entrance, e.g. fate_on_spark
-- ARGV[7]  engine config, JSON  ARGV[8]  now, epoch ms
--
-- Returns {created, old total cores, old remaining cores, new remaining cores,
--          old total memory, old remaining memory, new remaining memory};
-- created is 1 for a new engine, whose old figures are 0.
-- A changed total shifts remaining by the difference, so remaining stays
-- total minus what jobs hold. After a shrink below what jobs hold it is
-- negative: no apply fits until enough comes back, and callers show it as 0.

local cores, memory, now = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[8]

local created = 0
local old = {0, 0, 0, 0}
local remaining_cores, remaining_memory = cores, memory
if redis.call('EXISTS', KEYS[1]) == 1 then
  local stored = redis.call('HMGET', KEYS[1], 'total_cores', 'remaining_cores',
                            'total_memory', 'remaining_memory')
  for i = 1, 4 do old[i] = tonumber(stored[i]) end
  remaining_cores = old[2] + cores - old[1]
  remaining_memory = old[4] + memory - old[3]
else
  created = 1
  redis.call('HSET', KEYS[1], 'create_time', now)
end

redis.call('HSET', KEYS[1],
  'total_cores', cores, 'remaining_cores', remaining_cores,
  'total_memory', memory, 'remaining_memory', remaining_memory,
  'nodes', ARGV[3], 'cores_per_node', ARGV[4], 'memory_per_node', ARGV[5],
  'entrance', ARGV[6], 'config', ARGV[7], 'update_time', now)
return {created, old[1], old[2], remaining_cores, old[3], old[4], remaining_memory}
