// Jobs with a task that read the table, newest first, within a time range,
// one page of them.
MATCH (:Table {namespace: $namespace, name: $name})-[:INPUT_OF]->(:Task)
      -[:PART_OF]->(job:Job)
WHERE job.create_time >= $start_time AND job.create_time < $end_time
WITH DISTINCT job
ORDER BY job.create_time DESC, job.job_id DESC
SKIP $skip
LIMIT $limit
RETURN job {
  .job_id, .status, .initiator_role, .initiator_party_id, .create_time,
  .start_time, .end_time
} AS job
