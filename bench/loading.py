"""Load a generated graph through the API, and delete it from Neo4j afterwards."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import requests

if TYPE_CHECKING:
    from bench.fate_graph import FateGraph
    from fate_lineage.graph.driver import Neo4jGraph

# The largest batch that POST /api/v1/lineage/batch accepts.
BATCH_SIZE = 1000


def load_batched(
    session: requests.Session, url: str, graph: FateGraph, size: int = BATCH_SIZE
) -> dict[str, Any]:
    """Send every event in batches of ``size`` and return the rates."""
    events = list(graph.events())
    started = time.perf_counter()
    for first in range(0, len(events), size):
        reply = session.post(
            f"{url}/api/v1/lineage/batch",
            json=events[first : first + size],
            timeout=600,
        )
        data = reply.json()["data"]
        if reply.status_code != 200 or data["failed"]:
            raise SystemExit(f"batch load failed: {reply.text[:2000]}")
    return rates(graph, len(events), time.perf_counter() - started)


def load_one_by_one(
    session: requests.Session, url: str, graph: FateGraph
) -> dict[str, Any]:
    """Send every event in a request of its own and return the rates."""
    events = list(graph.events())
    started = time.perf_counter()
    for event in events:
        reply = session.post(f"{url}/api/v1/lineage", json=event, timeout=60)
        if reply.status_code != 200:
            raise SystemExit(f"single event failed: {reply.text[:2000]}")
    return rates(graph, len(events), time.perf_counter() - started)


def rates(graph: FateGraph, events: int, seconds: float) -> dict[str, Any]:
    """Return tables (records), events and edges per second of one load."""
    edges = sum(1 for _ in graph.edges())
    tables = len(graph.tables())
    return {
        "tables": tables,
        "events": events,
        "edges": edges,
        "seconds": round(seconds, 2),
        "tables_per_s": round(tables / seconds, 1),
        "events_per_s": round(events / seconds, 1),
        "edges_per_s": round(edges / seconds, 1),
    }


def delete_graph(neo4j: Neo4jGraph, graph: FateGraph) -> None:
    """Delete the graph's tables, tasks and jobs in transactions of 5000 nodes.

    CALL ... IN TRANSACTIONS needs an auto-commit transaction, so these run
    through ``session.run``.
    """
    statements = (
        "MATCH (job:Job) WHERE job.job_id STARTS WITH $job_prefix "
        "MATCH (task:Task)-[:PART_OF]->(job) "
        "CALL (task) { DETACH DELETE task } IN TRANSACTIONS OF 5000 ROWS",
        "MATCH (job:Job) WHERE job.job_id STARTS WITH $job_prefix "
        "CALL (job) { DETACH DELETE job } IN TRANSACTIONS OF 5000 ROWS",
        "MATCH (table:Table) WHERE table.namespace STARTS WITH $table_prefix "
        "CALL (table) { DETACH DELETE table } IN TRANSACTIONS OF 5000 ROWS",
    )
    parameters = {
        "job_prefix": f"{graph.job_namespace}/",
        "table_prefix": f"{graph.prefix}_",
    }
    with neo4j.driver.session(database=neo4j.database) as session:
        for statement in statements:
            session.run(statement, parameters).consume()


def count_left(neo4j: Neo4jGraph, graph: FateGraph) -> int:
    """Return how many of the graph's nodes are still in Neo4j."""
    records, _, _ = neo4j.driver.execute_query(
        "CALL () { MATCH (table:Table) WHERE table.namespace STARTS WITH $table_prefix "
        "  RETURN count(table) AS count "
        "  UNION ALL "
        "  MATCH (job:Job) WHERE job.job_id STARTS WITH $job_prefix "
        "  RETURN count(job) AS count } "
        "RETURN sum(count) AS left",
        {"job_prefix": f"{graph.job_namespace}/", "table_prefix": f"{graph.prefix}_"},
        database_=neo4j.database,
    )
    left: int = records[0]["left"]
    return left
