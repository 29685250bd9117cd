"""Time the tracking and lineage queries through the API and as raw Cypher.

The raw side runs the service's own statements from ``cypher/`` through the
Neo4j driver. It looks up the start table, then runs one statement per hop
inside one read transaction, as ``tracking/queries.py`` walks, with the same
visited set and node budget. It skips the HTTP layer, Flask, the
input checks and the rendering of the response. Each table is timed through
every client in turn, so they all see the same load on the machine.
"""

from __future__ import annotations

import functools
import random
import statistics
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import neo4j
import requests

from fate_lineage.cypher import load

if TYPE_CHECKING:
    from bench.fate_graph import FateGraph, TableKey
    from bench.sql_peer import PostgresPeer
    from fate_lineage.graph.driver import Neo4jGraph

END_OF_TIME = 2**62
# tracking-source searches lineage.max_depth hops and lineage.max_node_budget
# tables of the repository's service_conf.yaml.
SOURCE_DEPTH = 100
SOURCE_BUDGET = 100_000
NODE_BUDGET = 1000
WARM_UP = 10

Timer = Callable[["TableKey"], object]


class ApiClient:
    """The queries over HTTP, on one keep-alive connection."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.session = requests.Session()

    def call(self, path: str, body: dict[str, Any]) -> Any:
        reply = self.session.post(self.url + path, json=body, timeout=120)
        envelope = reply.json()
        if envelope["retcode"] != 0:
            raise SystemExit(f"{path} failed for {body}: {envelope['retmsg']}")
        return envelope["data"]

    def tracking_source(self, table: TableKey) -> None:
        self.call("/v1/table/tracking/source", _body(table))

    def tracking_job(self, table: TableKey) -> None:
        self.call("/v1/table/tracking/job", _body(table))

    def lineage(self, table: TableKey, depth: int) -> None:
        body = {**_body(table), "direction": "up", "depth": depth}
        self.call("/v1/table/lineage", {**body, "node_budget": NODE_BUDGET})

    def health(self) -> None:
        reply = self.session.get(self.url + "/healthz", timeout=60)
        reply.raise_for_status()

    def http_floor(self, count: int) -> dict[str, float]:
        """Time GET /healthz, which touches no backend, ``count`` times."""
        for _ in range(WARM_UP):
            self.health()
        timings = []
        for _ in range(count):
            started = time.perf_counter()
            self.health()
            timings.append((time.perf_counter() - started) * 1000)
        return summary(timings)


class RawCypher:
    """The same statements through the driver, without the service."""

    def __init__(self, graph: Neo4jGraph) -> None:
        self.driver = graph.driver
        self.database = graph.database

    def tracking_source(self, table: TableKey) -> None:
        self._walk(table, SOURCE_DEPTH, SOURCE_BUDGET)

    def tracking_job(self, table: TableKey) -> None:
        # The service looks the table up in one transaction and lists the
        # jobs in a second one, and so does this.
        with self._transaction() as tx:
            _start_id(tx, table)
        self.driver.execute_query(
            load("find_reading_jobs"),
            {
                "namespace": table[0],
                "name": table[1],
                "start_time": 0,
                "end_time": END_OF_TIME,
                "skip": 0,
                "limit": END_OF_TIME,
            },
            database_=self.database,
            routing_=neo4j.RoutingControl.READ,
        )

    def lineage(self, table: TableKey, depth: int) -> None:
        self._walk(table, depth, NODE_BUDGET)

    def _walk(self, table: TableKey, depth: int, budget: int) -> None:
        with self._transaction() as tx:
            start = _start_id(tx, table)
            seen = {start}
            frontier = [start]
            for _ in range(depth):
                if not frontier:
                    break
                rows = tx.run(
                    load("find_parent_edges"), ids=frontier, as_of=END_OF_TIME
                ).data()
                new = {row["to_id"]: row["table"] for row in rows}
                new = {key: value for key, value in new.items() if key not in seen}
                ordered = sorted(
                    new, key=lambda key: (new[key]["namespace"], new[key]["name"])
                )
                room = max(budget - len(seen), 0)
                frontier = ordered[:room]
                seen.update(frontier)
                if len(ordered) > room:
                    break

    def _transaction(self) -> Any:
        return _ReadTransaction(self.driver, self.database)


class _ReadTransaction:
    """A session and one explicit read transaction, as graph/driver.py opens."""

    def __init__(self, driver: neo4j.Driver, database: str) -> None:
        self.session = driver.session(
            database=database, default_access_mode=neo4j.READ_ACCESS
        )

    def __enter__(self) -> neo4j.Transaction:
        self.tx = self.session.begin_transaction()
        return self.tx

    def __exit__(self, *exc: object) -> None:
        self.tx.close()
        self.session.close()


def _start_id(tx: neo4j.Transaction, table: TableKey) -> str:
    record = tx.run(load("find_table"), namespace=table[0], name=table[1]).single()
    if record is None:
        raise SystemExit(f"table {table} is missing from Neo4j")
    start_id: str = record["id"]
    return start_id


def _body(table: TableKey) -> dict[str, str]:
    return {"namespace": table[0], "table_name": table[1]}


def sample_tables(graph: FateGraph, count: int, seed: int) -> list[TableKey]:
    """Return ``count`` tables drawn at random, the same for the same seed."""
    return random.Random(seed).sample(graph.tables(), count)


def clients_of(
    api: ApiClient, raw: RawCypher, sql: PostgresPeer | None
) -> dict[str, dict[str, Timer]]:
    """Return each query's timers by client: api, raw and, for lineage, sql."""
    queries: dict[str, dict[str, Timer]] = {
        "tracking_source": {"api": api.tracking_source, "raw": raw.tracking_source},
        "tracking_job": {"api": api.tracking_job, "raw": raw.tracking_job},
    }
    for depth in (3, 20):
        timers: dict[str, Timer] = {
            "api": functools.partial(api.lineage, depth=depth),
            "raw": functools.partial(raw.lineage, depth=depth),
        }
        if sql is not None:
            timers["sql"] = functools.partial(
                sql.lineage, depth=depth, budget=NODE_BUDGET
            )
        queries[f"lineage_depth_{depth}"] = timers
    return queries


def measure(
    queries: dict[str, dict[str, Timer]], tables: list[TableKey]
) -> dict[str, dict[str, dict[str, float]]]:
    """Time every query on every table through each client in turn."""
    results = {}
    for query, timers in queries.items():
        for timer in timers.values():
            for table in tables[:WARM_UP]:
                timer(table)
        timings: dict[str, list[float]] = {client: [] for client in timers}
        for table in tables:
            for client, timer in timers.items():
                started = time.perf_counter()
                timer(table)
                timings[client].append((time.perf_counter() - started) * 1000)
        results[query] = {client: summary(values) for client, values in timings.items()}
    return results


def summary(values: list[float]) -> dict[str, float]:
    """Return count, mean, p50, p95, p99 and max of timings in milliseconds."""
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {
        "count": len(values),
        "mean_ms": round(statistics.fmean(values), 2),
        "p50_ms": round(statistics.median(values), 2),
        "p95_ms": round(cuts[94], 2),
        "p99_ms": round(cuts[98], 2),
        "max_ms": round(max(values), 2),
    }
