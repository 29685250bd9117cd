// Tables one task wrote in one task version, by slot.
MATCH (task:Task {
  job_id: $job_id, component: $component, role: $role, party_id: $party_id
})-[wrote:OUTPUT]->(table:Table)
WHERE coalesce(wrote.task_version, 0) = $task_version
RETURN wrote.slot AS slot, table.namespace AS namespace, table.name AS name
