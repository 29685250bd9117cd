// Every recorded archive, newest first within each type.
MATCH (archive:Archive)
WHERE archive.type IN $types
RETURN archive {.*} AS archive
ORDER BY archive.type, archive.created_time DESC
