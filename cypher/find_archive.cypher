MATCH (archive:Archive {type: $type, version: $version})
RETURN archive {.*} AS archive
