// The newest jobs with their status, their number of tasks, and the number
// of input and output edges recorded on those tasks, to find a job id
// without the CLI.
//
// Parameters:
//   limit  number of jobs to list
//
// :param {limit: 20}
//
// Browser sends the numbers of a :param map as floats, so toInteger makes
// the limit usable by LIMIT. No index covers create_time, so this reads and
// sorts every Job node.
MATCH (job:Job)
WITH job
ORDER BY job.create_time DESC, job.job_id DESC
LIMIT toInteger($limit)
RETURN
  job.job_id AS job_id,
  job.status AS job_status,
  datetime({epochMillis: job.create_time}) AS created,
  COUNT { (job)<-[:PART_OF]-(:Task) } AS tasks,
  COUNT { (:Table)-[:INPUT_OF]->(:Task)-[:PART_OF]->(job) } AS inputs,
  COUNT { (job)<-[:PART_OF]-(:Task)-[:OUTPUT]->(:Table) } AS outputs
ORDER BY job.create_time DESC, job_id DESC
