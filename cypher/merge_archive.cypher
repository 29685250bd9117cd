// Record an uploaded dependency archive. An archive recorded before keeps
// its first upload time.
MERGE (archive:Archive {type: $type, version: $version, path: $path})
  ON CREATE SET archive.created_time = $now
SET archive += $properties
RETURN archive {.*} AS archive
