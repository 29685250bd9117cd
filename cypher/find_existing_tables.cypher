// Return which of the given table keys are recorded.
UNWIND $tables AS key
MATCH (table:Table {namespace: key.namespace, name: key.name})
RETURN table.namespace AS namespace, table.name AS name
