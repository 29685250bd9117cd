// Column lineage: one edge per run from an output column to each input
// column it was computed from.
UNWIND $rows AS row
MATCH (output:Column {
  namespace: row.output_namespace, table: row.output_table, name: row.output_name
})
MATCH (input:Column {
  namespace: row.input_namespace, table: row.input_table, name: row.input_name
})
MERGE (output)-[derived:DERIVED_FROM {
  job_id: row.job_id, component: row.component, role: 'openlineage',
  party_id: row.run_id
}]->(input)
  ON CREATE SET derived.recorded_at = row.first
SET derived.recorded_at = CASE
  WHEN row.first < derived.recorded_at THEN row.first ELSE derived.recorded_at
END
RETURN row.index AS index, elementId(derived) AS id
