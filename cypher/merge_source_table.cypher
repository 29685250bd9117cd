// Register an uploaded or bound table. A table that some task wrote keeps its
// metadata: `derived` tells the caller to report a conflict instead.
MERGE (table:Table {namespace: $namespace, name: $name})
  ON CREATE SET table.recorded_at = $now
WITH table, EXISTS { (table)-[:DERIVED_FROM]->(:Table) } AS derived
FOREACH (_ IN CASE WHEN derived THEN [] ELSE [1] END |
  SET table += $properties, table.origin = $origin
)
RETURN table {.*} AS table, derived
