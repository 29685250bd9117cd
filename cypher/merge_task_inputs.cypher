// Record tables that tasks of one job read. A table not recorded before is
// created with origin `unregistered`, so the edge is never lost.
UNWIND $inputs AS input
MATCH (task:Task {
  job_id: $job_id, component: input.component, role: input.role,
  party_id: input.party_id
})
MERGE (table:Table {namespace: input.namespace, name: input.name})
  ON CREATE SET table.origin = 'unregistered', table.recorded_at = $now
MERGE (table)-[read:INPUT_OF {slot: input.slot}]->(task)
  ON CREATE SET read.recorded_at = $now
