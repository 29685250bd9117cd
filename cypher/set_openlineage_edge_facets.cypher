// The rule of set_openlineage_node_facets, for the facets on an edge.
UNWIND $rows AS row
MATCH ()-[edge]->()
WHERE elementId(edge) = row.id
UNWIND row.facets AS facet
WITH edge, facet, edge['facet_time.' + facet.name] AS stored_time
WHERE stored_time IS NULL OR facet.time > stored_time
  OR (facet.time = stored_time AND facet.json > edge['facet.' + facet.name])
SET edge['facet.' + facet.name] = facet.json,
  edge['facet_time.' + facet.name] = facet.time
