"""Measure OpenLineage ingest rates: one event per request, and batches.

Generates runs of chained jobs, where job j reads job j-1's output and writes
its own. Each run sends a START and a COMPLETE event, with a schema facet on
its output and a parent facet that names one parent run. The events go to the
running API over one keep-alive connection, first one per request, then as
batches, each into namespaces of its own that are deleted at the end.

    .venv/bin/python bench/openlineage_ingest.py --events 2000 --batch-size 200
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

from fate_lineage.conf import load_settings
from fate_lineage.graph.driver import Neo4jGraph

RESULTS = Path(__file__).resolve().parent / "results"
PRODUCER = "https://example.com/fate-lineage/bench"
SCHEMA_URL = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
FACET_URL = "https://openlineage.io/spec/facets/1-1-1/SchemaDatasetFacet.json"
JOBS_PER_CHAIN = 10


def generate(prefix: str, count: int) -> list[dict[str, Any]]:
    """Return ``count`` events (START and COMPLETE pairs) in namespace ``prefix``."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    parent = {
        "_producer": PRODUCER,
        "_schemaURL": "https://openlineage.io/spec/facets/1-0-1/ParentRunFacet.json",
        "job": {"namespace": f"{prefix}_jobs", "name": "pipeline"},
        "run": {"runId": str(uuid.uuid4())},
    }
    events = []
    for index in range(count // 2):
        step = index % JOBS_PER_CHAIN
        chain = index // JOBS_PER_CHAIN
        run = {"runId": str(uuid.uuid4()), "facets": {"parent": parent}}
        job = {"namespace": f"{prefix}_jobs", "name": f"step_{step}"}
        output = {
            "namespace": f"{prefix}_warehouse",
            "name": f"chain_{chain}.table_{step}",
            "facets": {
                "schema": {
                    "_producer": PRODUCER,
                    "_schemaURL": FACET_URL,
                    "fields": [
                        {"name": "id", "type": "BIGINT"},
                        {"name": "score", "type": "DOUBLE"},
                    ],
                }
            },
        }
        inputs = (
            [
                {
                    "namespace": f"{prefix}_warehouse",
                    "name": f"chain_{chain}.table_{step - 1}",
                }
            ]
            if step
            else [{"namespace": f"{prefix}_files", "name": f"raw/chain_{chain}.csv"}]
        )
        moment = start + timedelta(seconds=index)
        for event_type, offset in (("START", 0), ("COMPLETE", 1)):
            events.append(
                {
                    "eventType": event_type,
                    "eventTime": (moment + timedelta(milliseconds=offset)).isoformat(),
                    "producer": PRODUCER,
                    "schemaURL": SCHEMA_URL,
                    "run": run,
                    "job": job,
                    "inputs": inputs,
                    "outputs": [output],
                }
            )
    return events


def one_by_one(session: requests.Session, url: str, events: list[Any]) -> float:
    began = time.perf_counter()
    for event in events:
        response = session.post(f"{url}/api/v1/lineage", json=event, timeout=30)
        response.raise_for_status()
    return time.perf_counter() - began


def batched(session: requests.Session, url: str, events: list[Any], size: int) -> float:
    began = time.perf_counter()
    for first in range(0, len(events), size):
        response = session.post(
            f"{url}/api/v1/lineage/batch",
            json=events[first : first + size],
            timeout=300,
        )
        response.raise_for_status()
        assert response.json()["data"]["failed"] == 0, response.text
    return time.perf_counter() - began


def delete(graph: Neo4jGraph, prefix: str) -> None:
    # CALL IN TRANSACTIONS needs an auto-commit transaction, so a session.run.
    with graph.driver.session(database=graph.database) as session:
        session.run(
            "MATCH (node) WHERE node.namespace STARTS WITH $prefix "
            "  OR node.job_id STARTS WITH $prefix "
            "CALL (node) { DETACH DELETE node } IN TRANSACTIONS OF 1000 ROWS",
            {"prefix": prefix},
        ).consume()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:9380")
    parser.add_argument("--events", type=int, default=2000, help="per mode")
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument(
        "--output", type=Path, default=RESULTS / "openlineage_ingest.json"
    )
    args = parser.parse_args()

    token = uuid.uuid4().hex[:8]
    single_prefix, batch_prefix = f"bench_ol1_{token}", f"bench_olb_{token}"
    session = requests.Session()
    graph = Neo4jGraph(load_settings().neo4j)
    try:
        single = one_by_one(session, args.url, generate(single_prefix, args.events))
        batch = batched(
            session, args.url, generate(batch_prefix, args.events), args.batch_size
        )
    finally:
        for prefix in (single_prefix, batch_prefix):
            delete(graph, prefix)
        graph.close()

    results = {
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "events": args.events,
        "batch_size": args.batch_size,
        "single_events_per_s": round(args.events / single, 1),
        "batch_events_per_s": round(args.events / batch, 1),
        "batch_over_single": round(single / batch, 1),
    }
    print(json.dumps(results, indent=2))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
