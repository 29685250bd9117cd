// Link a job to the archives it runs with.
MATCH (job:Job {job_id: $job_id})
UNWIND $archives AS key
MATCH (archive:Archive {type: key.type, version: key.version})
MERGE (job)-[ran:RAN_WITH]->(archive)
  ON CREATE SET ran.recorded_at = $now
