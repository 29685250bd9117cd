// One hop down from a frontier of tables given by element id, ignoring edges
// recorded after $as_of.
UNWIND $ids AS id
MATCH (parent:Table)
WHERE elementId(parent) = id
MATCH (parent)<-[derived:DERIVED_FROM]-(child:Table)
WHERE derived.recorded_at <= $as_of
RETURN
  id AS from_id,
  elementId(child) AS to_id,
  child {.namespace, .name, .origin, .row_count, .recorded_at} AS table,
  derived {.job_id, .component, .role, .party_id} AS via
