// Lineage of one table as a graph: the tables it derives from up to $hops
// hops up, the tables derived from it up to $hops hops down, and every
// DERIVED_FROM edge between them. Browser draws the rows as a graph; the
// Table view lists one row per edge, and a table with no edge in the answer
// gets one row with an empty edge.
//
// Parameters:
//   namespace  namespace of the table
//   name       name of the table
//   hops       maximum hops in each direction, 1 or more
//
// :param {namespace: "experiment", name: "breast_hetero_guest", hops: 3}
//
// Each walk visits every table once, however many paths lead to it, and
// then measures each table's distance with shortestPath. Filtering paths by
// length instead would enumerate every path, which grows exponentially with
// the diamonds in the graph.
MATCH (start:Table {namespace: $namespace, name: $name})
CALL (start) {
  OPTIONAL MATCH (start)-[:DERIVED_FROM*1..]->(ancestor:Table)
  WHERE ancestor <> start
  WITH DISTINCT start, ancestor
  OPTIONAL MATCH up = shortestPath((start)-[:DERIVED_FROM*1..]->(ancestor))
  WITH ancestor, length(up) AS distance
  WHERE distance <= $hops
  RETURN collect(ancestor) AS ancestors
}
CALL (start) {
  OPTIONAL MATCH (start)<-[:DERIVED_FROM*1..]-(descendant:Table)
  WHERE descendant <> start
  WITH DISTINCT start, descendant
  OPTIONAL MATCH down = shortestPath((start)<-[:DERIVED_FROM*1..]-(descendant))
  WITH descendant, length(down) AS distance
  WHERE distance <= $hops
  RETURN collect(descendant) AS descendants
}
WITH [start] + ancestors + descendants AS tables
UNWIND tables AS child
OPTIONAL MATCH (child)-[derived:DERIVED_FROM]->(parent:Table)
WHERE parent IN tables
RETURN child, derived, parent
ORDER BY child.namespace, child.name, parent.namespace, parent.name
