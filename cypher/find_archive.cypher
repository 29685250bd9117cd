MATCH (archive:Archive {type: $type, version: $version, path: $path})
RETURN archive {.*} AS archive
