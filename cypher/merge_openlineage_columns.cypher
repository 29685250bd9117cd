// Record columns named by schema and column-lineage facets, each linked to
// its table.
UNWIND $rows AS row
MATCH (table:Table {namespace: row.namespace, name: row.table})
MERGE (column:Column {namespace: row.namespace, table: row.table, name: row.name})
  ON CREATE SET column.recorded_at = row.first
SET column.recorded_at = CASE
  WHEN row.first < column.recorded_at THEN row.first ELSE column.recorded_at
END
MERGE (table)-[:HAS_COLUMN]->(column)
