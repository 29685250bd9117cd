// Record an uploaded dependency archive. A version recorded before keeps
// its first upload time.
MERGE (archive:Archive {type: $type, version: $version})
  ON CREATE SET archive.created_time = $now
SET archive += $properties
RETURN archive {.*} AS archive
