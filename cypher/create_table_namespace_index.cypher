// Tables are listed by namespace prefix, and the key constraint cannot serve a
// prefix search on its first property alone.
CREATE INDEX table_namespace IF NOT EXISTS
FOR (table:Table) ON (table.namespace)
