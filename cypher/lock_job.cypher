// Return a job after taking its write lock, so that concurrent status
// changes of one job run one after the other. Setting and removing a
// property is how Cypher takes the lock, and the job is left unchanged.
MATCH (job:Job {job_id: $job_id})
SET job.lock = true
REMOVE job.lock
RETURN job {.*} AS job
