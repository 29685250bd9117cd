// A table is identified by its namespace and name, as in FATE.
CREATE CONSTRAINT table_key IF NOT EXISTS
FOR (table:Table) REQUIRE (table.namespace, table.name) IS UNIQUE
