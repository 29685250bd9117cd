MATCH (table:Table)
WHERE table.namespace STARTS WITH $prefix
RETURN count(table) AS count
