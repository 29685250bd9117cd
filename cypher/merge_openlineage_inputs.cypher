// Record the datasets OpenLineage runs read, as FATE task inputs are.
UNWIND $rows AS row
MATCH (task:Task {
  job_id: row.job_id, component: row.component, role: 'openlineage',
  party_id: row.run_id
})
MATCH (table:Table {namespace: row.namespace, name: row.name})
MERGE (table)-[read:INPUT_OF {slot: 'openlineage'}]->(task)
  ON CREATE SET read.recorded_at = row.first
SET read.recorded_at = CASE
  WHEN row.first < read.recorded_at THEN row.first ELSE read.recorded_at
END
RETURN row.index AS index, elementId(read) AS id
