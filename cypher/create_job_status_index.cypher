// Jobs are listed newest first and filtered by status.
CREATE INDEX job_status_created IF NOT EXISTS
FOR (job:Job) ON (job.status, job.create_time)
