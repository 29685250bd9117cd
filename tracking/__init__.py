"""Rules of table provenance shared by the API and the CLI.

DSL parsing, default names, source finding, rendering and the recording and
query services over the lineage repository.
"""
