// One node per archive type, content version and stored place: the same
// version stored by two services with different stores is two archives.
CREATE CONSTRAINT archive_key IF NOT EXISTS
FOR (archive:Archive) REQUIRE (archive.type, archive.version, archive.path) IS UNIQUE
