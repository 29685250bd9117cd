// Note an apply, return, reap or rejection of a job's resources on its node.
// The history keeps the latest $history_size events, so a job that applies
// and returns many times keeps a node of bounded size.
MATCH (job:Job {job_id: $job_id})
SET
  job.resource_status = $event,
  job.resource_cores = $cores,
  job.resource_memory = $memory,
  job.resource_update_time = $now,
  job.resource_events =
    (coalesce(job.resource_events, []) + [$description])[-$history_size..]
