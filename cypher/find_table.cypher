MATCH (table:Table {namespace: $namespace, name: $name})
RETURN table {.*} AS table, elementId(table) AS id
