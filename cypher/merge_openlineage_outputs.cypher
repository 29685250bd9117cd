// Record the datasets OpenLineage runs wrote, as FATE task outputs are.
UNWIND $rows AS row
MATCH (task:Task {
  job_id: row.job_id, component: row.component, role: 'openlineage',
  party_id: row.run_id
})
MATCH (table:Table {namespace: row.namespace, name: row.name})
MERGE (task)-[wrote:OUTPUT {slot: 'openlineage', task_version: 0}]->(table)
  ON CREATE SET wrote.recorded_at = row.first
SET wrote.recorded_at = CASE
  WHEN row.first < wrote.recorded_at THEN row.first ELSE wrote.recorded_at
END
RETURN row.index AS index, elementId(wrote) AS id
