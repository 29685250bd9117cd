// One page of tables whose namespace starts with $prefix.
MATCH (table:Table)
WHERE table.namespace STARTS WITH $prefix
WITH table
ORDER BY table.namespace, table.name
SKIP $skip
LIMIT $limit
RETURN table {
  .namespace, .name, .origin, .row_count, .columns, .recorded_at
} AS table
