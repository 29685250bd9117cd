// Return a task after taking its write lock, so that concurrent reports of
// one task run one after the other. The task is left unchanged.
MATCH (task:Task {
  job_id: $job_id, component: $component, role: $role, party_id: $party_id
})
SET task.lock = true
REMOVE task.lock
RETURN task {.*} AS task
