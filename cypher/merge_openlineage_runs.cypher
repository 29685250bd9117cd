// Merge OpenLineage runs as tasks of their jobs, with the same order-free
// rules for times and status as jobs.
UNWIND $rows AS row
MATCH (job:Job {job_id: row.job_id})
MERGE (task:Task {
  job_id: row.job_id, component: row.component, role: 'openlineage',
  party_id: row.run_id
})
  ON CREATE SET
    task.run_id = row.run_id,
    task.status = 'waiting',
    task.task_version = 0,
    task.recorded_at = row.first
MERGE (task)-[:PART_OF]->(job)
SET
  task.recorded_at = CASE
    WHEN row.first < task.recorded_at THEN row.first ELSE task.recorded_at
  END,
  task.start_time = CASE
    WHEN task.start_time IS NULL OR row.start < task.start_time THEN row.start
    ELSE task.start_time
  END,
  task.end_time = CASE
    WHEN task.end_time IS NULL OR row.end > task.end_time THEN row.end
    ELSE task.end_time
  END,
  task.status = CASE
    WHEN row.status_key > coalesce(task.status_key, '') THEN row.status
    ELSE task.status
  END
SET task.status_key = CASE
  WHEN row.status_key > coalesce(task.status_key, '') THEN row.status_key
  ELSE task.status_key
END
RETURN row.index AS index, elementId(task) AS id
