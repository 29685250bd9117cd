// Record the tables one task wrote and mark the task with its status. The
// task's version only moves forward, and each output edge keeps the version
// that wrote it.
MATCH (task:Task {
  job_id: $job_id, component: $component, role: $role, party_id: $party_id
})
SET
  task.status = $status,
  task.task_version = CASE
    WHEN coalesce(task.task_version, 0) > $task_version THEN task.task_version
    ELSE $task_version
  END
WITH task
UNWIND $outputs AS output
MERGE (table:Table {namespace: output.namespace, name: output.name})
  ON CREATE SET table.origin = 'output', table.recorded_at = $now
SET table += output.properties
MERGE (task)-[wrote:OUTPUT {slot: output.slot, task_version: $task_version}]->(table)
  ON CREATE SET wrote.recorded_at = $now
