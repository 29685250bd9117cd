// Record the tables one task wrote and mark the task with its status.
MATCH (task:Task {
  job_id: $job_id, component: $component, role: $role, party_id: $party_id
})
SET task.status = $status, task.task_version = $task_version
WITH task
UNWIND $outputs AS output
MERGE (table:Table {namespace: output.namespace, name: output.name})
  ON CREATE SET table.origin = 'output', table.recorded_at = $now
SET table += output.properties
MERGE (task)-[wrote:OUTPUT {slot: output.slot}]->(table)
  ON CREATE SET wrote.recorded_at = $now
