MATCH (job:Job {job_id: $job_id})
RETURN job {.*} AS job
