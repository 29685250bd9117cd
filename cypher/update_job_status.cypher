// Move a job to a new status. The first start and the first end are kept.
MATCH (job:Job {job_id: $job_id})
SET
  job.status = $status,
  job.update_time = $now,
  job.start_time = CASE
    WHEN $status = 'running' AND job.start_time IS NULL THEN $now
    ELSE job.start_time
  END,
  job.end_time = CASE
    WHEN $ended AND job.end_time IS NULL THEN $now
    ELSE job.end_time
  END
RETURN job {.*} AS job
