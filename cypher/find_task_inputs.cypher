// Tables a task read, by slot.
MATCH (task:Task {
  job_id: $job_id, component: $component, role: $role, party_id: $party_id
})<-[read:INPUT_OF]-(table:Table)
RETURN read.slot AS slot, table.namespace AS namespace, table.name AS name
ORDER BY slot, namespace, name
