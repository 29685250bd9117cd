// One child-to-parent edge per task that read the parent and wrote the child.
UNWIND $edges AS edge
MATCH (child:Table {namespace: edge.child.namespace, name: edge.child.name})
MATCH (parent:Table {namespace: edge.parent.namespace, name: edge.parent.name})
MERGE (child)-[derived:DERIVED_FROM {
  job_id: $job_id, component: $component, role: $role, party_id: $party_id
}]->(parent)
  ON CREATE SET derived.recorded_at = $now
