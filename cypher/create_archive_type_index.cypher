// Archives are listed by type, which the (type, version) key cannot serve
// on its own.
CREATE INDEX archive_type IF NOT EXISTS
FOR (archive:Archive) ON (archive.type)
