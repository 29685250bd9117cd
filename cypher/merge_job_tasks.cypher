// One task per component per party, each part of its job.
MATCH (job:Job {job_id: $job_id})
UNWIND $tasks AS spec
MERGE (task:Task {
  job_id: $job_id, component: spec.component, role: spec.role,
  party_id: spec.party_id
})
  ON CREATE SET
    task.module = spec.module,
    task.status = 'waiting',
    task.recorded_at = $now
MERGE (task)-[:PART_OF]->(job)
