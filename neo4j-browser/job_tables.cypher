// Tables of a job: for each task, the tables it read and the tables it
// wrote, one row per table and task. `direction` is `input` or `output`.
// Outputs carry the task version that wrote them, so a rerun's tables show
// beside the earlier version's; `latest` is true for the current version.
// A task that has read or written nothing yet gets one row with an empty
// table.
//
// Parameters:
//   job_id  the job id that `flow job submit` printed
//
// :param {job_id: "202612041652109121000"}
MATCH (:Job {job_id: $job_id})<-[:PART_OF]-(task:Task)
CALL (task) {
  MATCH (table:Table)-[read:INPUT_OF]->(task)
  RETURN 'input' AS direction, read.slot AS slot, table,
    null AS task_version, null AS latest
  UNION
  MATCH (task)-[wrote:OUTPUT]->(table:Table)
  RETURN 'output' AS direction, wrote.slot AS slot, table,
    wrote.task_version AS task_version,
    wrote.task_version = coalesce(task.task_version, 0) AS latest
  UNION
  WITH task
  WHERE NOT EXISTS { (:Table)-[:INPUT_OF]->(task) }
    AND NOT EXISTS { (task)-[:OUTPUT]->(:Table) }
  RETURN null AS direction, null AS slot, null AS table,
    null AS task_version, null AS latest
}
RETURN
  task.component AS component,
  task.role AS role,
  task.party_id AS party_id,
  task.status AS task_status,
  direction,
  slot,
  table.namespace AS namespace,
  table.name AS name,
  table.origin AS origin,
  table.row_count AS row_count,
  task_version,
  latest
ORDER BY component, role, party_id, direction, slot, task_version
