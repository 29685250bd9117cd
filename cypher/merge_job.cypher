// Create a submitted job in status waiting. An existing job is returned
// unchanged, and `created` tells the two cases apart.
MERGE (job:Job {job_id: $job_id})
  ON CREATE SET
    job += $properties,
    job.status = 'waiting',
    job.create_time = $now,
    job.update_time = $now,
    job.recorded_at = $now
RETURN job {.*} AS job, job.recorded_at = $now AS created
