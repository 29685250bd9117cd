// Link runs to the parent runs named by their parent facets.
UNWIND $rows AS row
MATCH (child:Task {
  job_id: row.job_id, component: row.component, role: 'openlineage',
  party_id: row.run_id
})
MATCH (parent:Task {
  job_id: row.parent_job_id, component: row.parent_component,
  role: 'openlineage', party_id: row.parent_run_id
})
MERGE (child)-[link:CHILD_OF]->(parent)
  ON CREATE SET link.recorded_at = row.first
SET link.recorded_at = CASE
  WHEN row.first < link.recorded_at THEN row.first ELSE link.recorded_at
END
