// Merge OpenLineage datasets as tables. recorded_at keeps the earliest event
// time that named the table, whatever order the events came in.
UNWIND $rows AS row
MERGE (table:Table {namespace: row.namespace, name: row.name})
  ON CREATE SET table.origin = 'openlineage', table.recorded_at = row.first
SET table.recorded_at = CASE
  WHEN row.first < table.recorded_at THEN row.first
  ELSE table.recorded_at
END
RETURN row.index AS index, elementId(table) AS id
