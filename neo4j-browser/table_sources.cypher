// Source tables of a table, in the shape of `flow table tracking-source`:
// one row per pair of a direct parent and a source reached from it. A
// source is an ancestor with no parent. A parent with no parent is its own
// source, and so is a parent whose ancestors form only a cycle. An uploaded
// table has no parent and gives no rows.
//
// Parameters:
//   namespace  namespace of the table
//   name       name of the table
//
// :param {namespace: "output_data_202612041652109121000_hetero_lr_0_0", name: "3d1eefee39275df0b19f348d438c56a9"}
MATCH (:Table {namespace: $namespace, name: $name})-[:DERIVED_FROM]->(parent:Table)
WITH DISTINCT parent
CALL (parent) {
  OPTIONAL MATCH (parent)-[:DERIVED_FROM*0..]->(root:Table)
  WHERE NOT EXISTS { (root)-[:DERIVED_FROM]->(:Table) }
  WITH collect(DISTINCT root) AS roots
  UNWIND CASE roots WHEN [] THEN [parent] ELSE roots END AS source
  RETURN source
}
RETURN
  parent.name AS parent_table_name,
  parent.namespace AS parent_table_namespace,
  source.name AS source_table_name,
  source.namespace AS source_table_namespace,
  source.origin AS source_origin
ORDER BY
  parent_table_namespace, parent_table_name,
  source_table_namespace, source_table_name
