// Every task of a job with its status.
MATCH (:Job {job_id: $job_id})<-[:PART_OF]-(task:Task)
RETURN task {.component, .role, .party_id, .status, .task_version} AS task
