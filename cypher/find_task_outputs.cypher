// Tables that tasks wrote in their current version, for several
// (job, component, data name) references of one party.
UNWIND $refs AS ref
MATCH (task:Task {
  job_id: ref.job_id, component: ref.component, role: $role, party_id: $party_id
})-[wrote:OUTPUT]->(table:Table)
WHERE (ref.data_name IS NULL OR wrote.slot = ref.data_name)
  AND wrote.task_version = coalesce(task.task_version, 0)
RETURN
  ref.job_id AS job_id, ref.component AS component, wrote.slot AS data_name,
  table.namespace AS namespace, table.name AS name
ORDER BY job_id, component, data_name
