// Register an uploaded or bound table, replacing its earlier metadata. A
// table that a task wrote is left unchanged, and `written` tells the caller
// to report a conflict instead.
MERGE (table:Table {namespace: $namespace, name: $name})
  ON CREATE SET table.recorded_at = $now
WITH table, table.recorded_at AS recorded_at,
  EXISTS { (:Task)-[:OUTPUT]->(table) } AS written
FOREACH (_ IN CASE WHEN written THEN [] ELSE [1] END |
  SET table = $properties
  SET
    table.namespace = $namespace,
    table.name = $name,
    table.origin = $origin,
    table.recorded_at = recorded_at
)
RETURN table {.*} AS table, written
