// A column is identified by its table's namespace and name and its own name.
CREATE CONSTRAINT column_key IF NOT EXISTS
FOR (column:Column) REQUIRE (column.namespace, column.table, column.name) IS UNIQUE
