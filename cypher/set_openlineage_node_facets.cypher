// Keep, for each facet of a node, the version sent with the latest event
// time (the greater JSON text breaks a tie). Facet f is stored as the JSON
// text `facet.f` and its event time in microseconds `facet_time.f`.
UNWIND $rows AS row
MATCH (node)
WHERE elementId(node) = row.id
UNWIND row.facets AS facet
WITH node, facet, node['facet_time.' + facet.name] AS stored_time
WHERE stored_time IS NULL OR facet.time > stored_time
  OR (facet.time = stored_time AND facet.json > node['facet.' + facet.name])
SET node['facet.' + facet.name] = facet.json,
  node['facet_time.' + facet.name] = facet.time
