from __future__ import annotations

import dataclasses

import pytest

from fate_lineage.conf import load_settings
from fate_lineage.errors import BackendMisconfigured
from fate_lineage.graph.driver import Neo4jGraph


def test_uri_rejected_by_driver_is_misconfigured() -> None:
    settings = load_settings(environ={}).neo4j
    # Routing parameters are only valid on neo4j:// URIs, not bolt://.
    odd = dataclasses.replace(settings, uri="bolt://127.0.0.1:7687?policy=x")

    with pytest.raises(BackendMisconfigured, match=r"the driver rejected neo4j\.uri"):
        Neo4jGraph(odd)
