// Jobs that hold resources according to their node: the latest resource
// event noted on the job is an apply. At each apply, return, reap and
// rejection the service notes the cores, the memory in MB, the time of the
// event, and the event itself as "<epoch ms> <event> <cores> cores <memory>
// MB" in a list of the latest 20. Redis holds the live figures (`flow
// resource query`). A note is lost when Neo4j is down at the event, so the
// node can lag behind Redis.
//
// Parameters: none.
//
// No index covers resource_status, so this reads every Job node.
MATCH (job:Job)
WHERE job.resource_status = 'applied'
RETURN
  job.job_id AS job_id,
  job.status AS job_status,
  job.resource_cores AS cores,
  job.resource_memory AS memory_mb,
  datetime({epochMillis: job.resource_update_time}) AS applied,
  job.resource_events AS events
ORDER BY job.resource_update_time, job_id
