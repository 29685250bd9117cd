from __future__ import annotations

import dataclasses
from typing import Any

import neo4j
import pytest

from fate_lineage.conf import load_settings
from fate_lineage.errors import BackendMisconfigured, ConfigError
from fate_lineage.graph.driver import Neo4jGraph


def test_uri_rejected_by_driver_is_misconfigured() -> None:
    settings = load_settings(environ={}).neo4j
    # Routing parameters are only valid on neo4j:// URIs, not bolt://.
    odd = dataclasses.replace(settings, uri="bolt://127.0.0.1:7687?policy=x")

    with pytest.raises(BackendMisconfigured, match=r"the driver rejected neo4j\.uri"):
        Neo4jGraph(odd)


def test_retry_bound_defaults_to_three_seconds() -> None:
    settings = load_settings(environ={}).neo4j

    assert settings.max_transaction_retry_time == 3.0


def test_retry_bound_reaches_driver(monkeypatch: pytest.MonkeyPatch) -> None:
    received: dict[str, Any] = {}

    def fake_driver(uri: str, **kwargs: Any) -> object:
        received.update(kwargs)
        return object()

    monkeypatch.setattr(neo4j.GraphDatabase, "driver", fake_driver)
    variable = "FATE_LINEAGE__NEO4J__MAX_TRANSACTION_RETRY_TIME"
    settings = load_settings(environ={variable: "7.5"}).neo4j

    Neo4jGraph(settings)

    assert received["max_transaction_retry_time"] == 7.5
    assert received["connection_timeout"] == settings.connection_timeout


@pytest.mark.parametrize("value", ["-1", "301", "soon"])
def test_retry_bound_out_of_range_rejected(value: str) -> None:
    variable = "FATE_LINEAGE__NEO4J__MAX_TRANSACTION_RETRY_TIME"

    with pytest.raises(ConfigError, match=r"neo4j\.max_transaction_retry_time"):
        load_settings(environ={variable: value})
