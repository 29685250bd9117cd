// The archives a job runs with.
MATCH (:Job {job_id: $job_id})-[:RAN_WITH]->(archive:Archive)
RETURN archive {.*} AS archive
ORDER BY archive.type
