// A job as a graph: the job, its tasks, and the tables each task read and
// wrote, one row per task. Browser draws the paths; the Table view is easier
// to read in job_tables.cypher.
//
// Parameters:
//   job_id  the job id that `flow job submit` printed
//
// :param {job_id: "202612041652109121000"}
MATCH part = (:Job {job_id: $job_id})<-[:PART_OF]-(task:Task)
RETURN
  part,
  COLLECT { MATCH read = (:Table)-[:INPUT_OF]->(task) RETURN read } AS inputs,
  COLLECT { MATCH wrote = (task)-[:OUTPUT]->(:Table) RETURN wrote } AS outputs
ORDER BY task.component, task.role, task.party_id
