"""Rules of table provenance that the API and the CLI share: DSL parsing, naming, sources, rendering."""
