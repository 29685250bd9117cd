// One hop up from a frontier of tables given by element id, ignoring edges
// recorded after $as_of.
UNWIND $ids AS id
MATCH (child:Table)
WHERE elementId(child) = id
MATCH (child)-[derived:DERIVED_FROM]->(parent:Table)
WHERE derived.recorded_at <= $as_of
RETURN
  id AS from_id,
  elementId(parent) AS to_id,
  parent {.namespace, .name, .origin, .row_count, .recorded_at} AS table,
  derived {.job_id, .component, .role, .party_id} AS via
