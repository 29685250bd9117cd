MATCH (task:Task {
  job_id: $job_id, component: $component, role: $role, party_id: $party_id
})
RETURN task {.*} AS task
