// One child-to-parent edge per run that read the parent and wrote the child.
UNWIND $rows AS row
MATCH (child:Table {namespace: row.child_namespace, name: row.child_name})
MATCH (parent:Table {namespace: row.parent_namespace, name: row.parent_name})
MERGE (child)-[derived:DERIVED_FROM {
  job_id: row.job_id, component: row.component, role: 'openlineage',
  party_id: row.run_id
}]->(parent)
  ON CREATE SET derived.recorded_at = row.first
SET derived.recorded_at = CASE
  WHEN row.first < derived.recorded_at THEN row.first ELSE derived.recorded_at
END
