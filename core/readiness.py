"""Check that Neo4j and Redis answer.

``/readyz`` and the local stack's start script share this check:
``python -m fate_lineage.readiness neo4j`` exits 0 when Neo4j answers, 1 when
it does not, and 3 when it rejects the credentials, which waiting cannot fix.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from fate_lineage.conf import load_settings
from fate_lineage.errors import BackendAuthFailed, BackendUnavailable, ConfigError
from fate_lineage.graph.driver import Neo4jGraph
from fate_lineage.resources.connection import open_redis, ping_redis

if TYPE_CHECKING:
    import redis


def check_backends(graph: Neo4jGraph, client: redis.Redis) -> dict[str, dict[str, Any]]:
    """Return each backend's state: ``{"ready": bool, ...details or reason}``."""
    states: dict[str, dict[str, Any]] = {}
    for name, ping in (("neo4j", graph.ping), ("redis", lambda: ping_redis(client))):
        try:
            states[name] = {"ready": True, **ping()}
        except BackendUnavailable as exc:
            states[name] = {"ready": False, "reason": exc.message}
    return states


def main(argv: list[str]) -> int:
    if argv not in (["neo4j"], ["redis"]):
        print("usage: python -m fate_lineage.readiness neo4j|redis", file=sys.stderr)
        return 2
    try:
        settings = load_settings()
        if argv == ["neo4j"]:
            graph = Neo4jGraph(settings.neo4j)
            try:
                print(graph.ping())
            finally:
                graph.close()
        else:
            print(ping_redis(open_redis(settings.redis)))
    except BackendAuthFailed as exc:
        print(exc.message, file=sys.stderr)
        return 3
    except (BackendUnavailable, ConfigError) as exc:
        print(exc.message, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
