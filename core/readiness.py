"""Check that Neo4j and Redis respond.

``/readyz`` and the local stack's start script share this check.
``python -m fate_lineage.readiness neo4j`` exits 0 when Neo4j accepts the
login and runs a query, and 1 when it does not. It exits 3 when Neo4j rejects
the settings (a wrong password or database name), which waiting cannot fix.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fate_lineage.conf import load_settings
from fate_lineage.errors import BackendMisconfigured, BackendUnavailable, ConfigError
from fate_lineage.graph.driver import Neo4jGraph
from fate_lineage.resources.connection import open_redis, ping_redis

if TYPE_CHECKING:
    import redis

    from fate_lineage.conf import Settings

Ping = Callable[[], dict[str, Any]]

# A pooled Neo4j connection has no read timeout, so a server that accepted the
# connection and then froze would block a ping for good. Each ping therefore
# runs on a daemon thread, and the caller stops waiting for it at the deadline.
# At most this many such threads per backend may hang at once.
MAX_HANGING_PINGS = 4
_ping_slots = {
    name: threading.BoundedSemaphore(MAX_HANGING_PINGS) for name in ("neo4j", "redis")
}


class _PingThread(threading.Thread):
    def __init__(self, backend: str, ping: Ping) -> None:
        super().__init__(name=f"ping-{backend}", daemon=True)
        self.backend = backend
        self.ping = ping
        self.result: dict[str, Any] | None = None
        self.error: Exception | None = None

    def run(self) -> None:
        try:
            self.result = self.ping()
        except Exception as exc:  # handed to the waiting thread in outcome()
            self.error = exc
        finally:
            _ping_slots[self.backend].release()

    def outcome(self, remaining: float, timeout: float) -> dict[str, Any]:
        """Wait up to ``remaining`` seconds; ``timeout`` is the configured total."""
        self.join(remaining)
        if self.is_alive():
            raise BackendUnavailable(self.backend, f"no reply within {timeout:g} s")
        if self.error is not None:
            raise self.error
        assert self.result is not None
        return self.result


def check_backends(
    graph: Neo4jGraph, client: redis.Redis, settings: Settings
) -> dict[str, dict[str, Any]]:
    """Ping both backends at once; return ``{"ready": bool, ...}`` for each.

    Each backend gets its own timeout from the settings, so the whole check
    takes at most the longer of the two.
    """
    pings: dict[str, tuple[Ping, float]] = {
        "neo4j": (graph.ping, settings.neo4j.connection_timeout),
        "redis": (lambda: ping_redis(client), settings.redis.socket_timeout),
    }
    started = {name: _start_ping(name, ping) for name, (ping, _) in pings.items()}
    began = time.monotonic()
    states: dict[str, dict[str, Any]] = {}
    for name, thread in started.items():
        timeout = pings[name][1]
        remaining = max(0.0, timeout - (time.monotonic() - began))
        try:
            if isinstance(thread, BackendUnavailable):
                raise thread
            states[name] = {"ready": True, **thread.outcome(remaining, timeout)}
        except BackendUnavailable as exc:
            states[name] = {"ready": False, "reason": exc.message}
    return states


def _start_ping(backend: str, ping: Ping) -> _PingThread | BackendUnavailable:
    if not _ping_slots[backend].acquire(blocking=False):
        return BackendUnavailable(
            backend, f"{MAX_HANGING_PINGS} earlier checks are still waiting for a reply"
        )
    thread = _PingThread(backend, ping)
    thread.start()
    return thread


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
    except BackendMisconfigured as exc:
        print(exc.message, file=sys.stderr)
        return 3
    except (BackendUnavailable, ConfigError) as exc:
        print(exc.message, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
