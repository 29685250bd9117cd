"""Neo4j: the driver's lifecycle, the schema and the lineage repository."""
