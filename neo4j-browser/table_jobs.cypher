// Jobs of a table: each task that read it (as `flow table tracking-job`
// counts them) and each task that wrote it, newest job first. `relation` is
// `read` or `wrote`, and `slot` is the input or output slot of the task.
// `task_version` is the version that wrote the table, and null for a read.
//
// Parameters:
//   namespace  namespace of the table
//   name       name of the table
//
// :param {namespace: "experiment", name: "breast_hetero_guest"}
MATCH (table:Table {namespace: $namespace, name: $name})
CALL (table) {
  MATCH (table)-[read:INPUT_OF]->(task:Task)
  RETURN task, 'read' AS relation, read.slot AS slot, null AS task_version
  UNION
  MATCH (table)<-[wrote:OUTPUT]-(task:Task)
  RETURN task, 'wrote' AS relation, wrote.slot AS slot,
    wrote.task_version AS task_version
}
MATCH (task)-[:PART_OF]->(job:Job)
RETURN
  job.job_id AS job_id,
  job.status AS job_status,
  datetime({epochMillis: job.create_time}) AS created,
  relation,
  task.component AS component,
  task.role AS role,
  task.party_id AS party_id,
  slot,
  task_version
ORDER BY
  job.create_time DESC, job_id DESC, relation, component, role, party_id, slot
