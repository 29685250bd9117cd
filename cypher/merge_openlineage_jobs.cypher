// Merge OpenLineage jobs. Times keep their earliest or latest value, and the
// status moves only to one with a greater key, so arrival order does not
// matter.
UNWIND $rows AS row
MERGE (job:Job {job_id: row.job_id})
  ON CREATE SET
    job.status = 'waiting',
    job.create_time = row.first,
    job.update_time = row.last,
    job.recorded_at = row.first
SET
  job += row.properties,
  job.create_time = CASE
    WHEN row.first < job.create_time THEN row.first ELSE job.create_time
  END,
  job.recorded_at = CASE
    WHEN row.first < job.recorded_at THEN row.first ELSE job.recorded_at
  END,
  job.update_time = CASE
    WHEN row.last > job.update_time THEN row.last ELSE job.update_time
  END,
  job.start_time = CASE
    WHEN job.start_time IS NULL OR row.start < job.start_time THEN row.start
    ELSE job.start_time
  END,
  job.end_time = CASE
    WHEN job.end_time IS NULL OR row.end > job.end_time THEN row.end
    ELSE job.end_time
  END,
  job.status = CASE
    WHEN row.status_key > coalesce(job.status_key, '') THEN row.status
    ELSE job.status
  END
SET job.status_key = CASE
  WHEN row.status_key > coalesce(job.status_key, '') THEN row.status_key
  ELSE job.status_key
END
RETURN row.index AS index, elementId(job) AS id
