// One node per archive type and content version.
CREATE CONSTRAINT archive_key IF NOT EXISTS
FOR (archive:Archive) REQUIRE (archive.type, archive.version) IS UNIQUE
