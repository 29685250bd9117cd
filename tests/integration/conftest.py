"""Fixtures for tests against the real Neo4j and Redis of the local stack.

Start them with ``stack/stack.sh start`` (``stack/stack.sh test`` does it for
you). A backend that does not respond fails the run: these tests never skip.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from fate_lineage.conf import Settings, load_settings
from fate_lineage.errors import BackendUnavailable
from fate_lineage.graph.driver import Neo4jGraph
from fate_lineage.resources.connection import open_redis, ping_redis


@pytest.fixture(scope="session")
def settings() -> Settings:
    return load_settings()


@pytest.fixture(scope="session")
def graph(settings: Settings) -> Iterator[Neo4jGraph]:
    graph = Neo4jGraph(settings.neo4j)
    try:
        graph.ping()
    except BackendUnavailable as exc:
        pytest.fail(f"{exc.message} Integration tests need the local stack.")
    yield graph
    graph.close()


@pytest.fixture(scope="session")
def redis_client(settings: Settings) -> redis.Redis:
    client = open_redis(settings.redis)
    try:
        ping_redis(client)
    except BackendUnavailable as exc:
        pytest.fail(f"{exc.message} Integration tests need the local stack.")
    return client
