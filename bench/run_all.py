"""Run every benchmark on the local stack, write the results, render the page.

    .venv/bin/python -m bench.run_all            # 10k and 100k tables
    .venv/bin/python -m bench.run_all --smoke    # 1k tables, about a minute

Needs the running stack (API, Neo4j, Redis) and Debian's postgresql package.
Every graph goes into namespaces of its own and is deleted from Neo4j at the
end, also when a step fails. The full run writes bench/results/benchmarks.json
and docs/benchmarks.md with its plots; --smoke writes under
bench/results/smoke/ unless --results-dir names another folder.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
import uuid
from pathlib import Path
from typing import Any

import requests

from bench import fate_path, loading, query_latency, report, resource_ceiling
from bench.fate_graph import generate
from bench.sql_peer import PeerUnavailable, PostgresPeer
from fate_lineage.conf import load_settings
from fate_lineage.graph.driver import Neo4jGraph
from fate_lineage.resources.connection import open_redis

ROOT = Path(__file__).resolve().parents[1]
FULL_SIZES = (10_000, 100_000)
ONE_MILLION = 1_000_000


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url", default="http://127.0.0.1:9380", help="base URL of the API"
    )
    parser.add_argument(
        "--own-api",
        action="store_true",
        help="send ingest and queries to a gunicorn of the run's own, not --url",
    )
    parser.add_argument("--smoke", action="store_true", help="1k tables, short runs")
    parser.add_argument(
        "--with-1m", action="store_true", help="also measure 1M tables (hours)"
    )
    parser.add_argument(
        "--seed", type=int, default=42, help="seed of the graph generator"
    )
    parser.add_argument("--samples", type=int, help="random tables per query")
    parser.add_argument(
        "--single-tables", type=int, help="tables of the one-by-one ingest run"
    )
    parser.add_argument(
        "--clients", type=int, default=64, help="client threads of the resource runs"
    )
    parser.add_argument("--seconds", type=float, help="seconds of each resource run")
    parser.add_argument("--results-dir", type=Path, help="folder of benchmarks.json")
    parser.add_argument("--doc", type=Path, help="the Markdown page to render")
    parser.add_argument(
        "--render-only",
        action="store_true",
        help="render the page from the existing benchmarks.json without running",
    )
    arguments = parser.parse_args()

    smoke = arguments.smoke
    arguments.sizes = [1000] if smoke else [*FULL_SIZES]
    if arguments.with_1m:
        arguments.sizes.append(ONE_MILLION)
    arguments.samples = arguments.samples or (30 if smoke else 500)
    arguments.single_tables = arguments.single_tables or (100 if smoke else 2000)
    arguments.seconds = arguments.seconds or (2.0 if smoke else 10.0)
    default_dir = ROOT / "bench" / "results" / ("smoke" if smoke else "")
    arguments.results_dir = arguments.results_dir or default_dir
    if arguments.doc is None:
        arguments.doc = (
            arguments.results_dir / "benchmarks.md"
            if smoke
            else ROOT / "docs" / "benchmarks.md"
        )
    return arguments


def main() -> None:
    arguments = parse_arguments()
    if arguments.render_only:
        saved = json.loads((arguments.results_dir / "benchmarks.json").read_text())
        report.render(saved, arguments.doc)
        print(f"wrote {arguments.doc}")
        return
    started = time.time()
    results: dict[str, Any] = {
        "command": command_line(arguments),
        "seed": arguments.seed,
        "samples": arguments.samples,
        "machine": machine(),
    }
    own_api = None
    if arguments.own_api:
        own_api = resource_ceiling.OwnApi(f"bench_api_{uuid.uuid4().hex[:8]}", 20)
        arguments.url = own_api.url
    results["api"] = "own gunicorn" if own_api else arguments.url
    neo4j = Neo4jGraph(load_settings().neo4j)
    results["machine"]["neo4j"] = neo4j_version(neo4j)
    peer, results["sql_peer"] = start_peer()
    try:
        results["ingest"] = ingest(arguments, neo4j)
        results["sizes"] = [
            measure_size(arguments, neo4j, peer, size) for size in arguments.sizes
        ]
    finally:
        if peer is not None:
            peer.stop()
        if own_api is not None:
            own_api.stop()
            resource_ceiling.clean_up(
                open_redis(load_settings().redis), (own_api.namespace,), []
            )
        neo4j.close()
    results["resources"] = resource_ceiling.run(
        arguments.clients, arguments.seconds, cores=arguments.clients
    )
    results["machine"]["load_average_end"] = list(os.getloadavg())
    results["seconds"] = round(time.time() - started, 1)
    results["targets"] = report.targets(results)

    arguments.results_dir.mkdir(parents=True, exist_ok=True)
    output = arguments.results_dir / "benchmarks.json"
    output.write_text(json.dumps(results, indent=2) + "\n")
    report.render(results, arguments.doc)
    print(json.dumps(results["targets"], indent=2))
    print(f"wrote {output} and {arguments.doc}")


def start_peer() -> tuple[PostgresPeer | None, dict[str, Any]]:
    try:
        peer = PostgresPeer.start()
    except PeerUnavailable as exc:
        return None, {"status": "blocked", "error": str(exc)}
    return peer, {"status": "ran", "version": peer.version()}


def ingest(arguments: argparse.Namespace, neo4j: Neo4jGraph) -> dict[str, Any]:
    """Load three graphs of the same size and shape, from different seeds.

    The first goes through FATE's endpoints, the second as one OpenLineage
    event per request, the third in batches.
    """
    token = uuid.uuid4().hex[:8]
    size = arguments.single_tables
    fate = generate(size, arguments.seed + 1, f"bench_{token}_fate")
    single = generate(size, arguments.seed + 2, f"bench_{token}_single")
    batch = generate(size, arguments.seed + 3, f"bench_{token}_batch")
    session = requests.Session()
    try:
        fate_rates = fate_path.load_fate_one_by_one(session, arguments.url, fate)
        single_rates = loading.load_one_by_one(session, arguments.url, single)
        batched = loading.load_batched(session, arguments.url, batch)
    finally:
        fate_path.delete_fate_jobs(neo4j, fate)
        for graph in (fate, single, batch):
            loading.delete_graph(neo4j, graph)
    return {
        "fate_one_by_one": fate_rates,
        "openlineage_one_by_one": single_rates,
        "batched": batched,
        "batch_size": loading.BATCH_SIZE,
        "batched_over_fate": round(
            batched["tables_per_s"] / fate_rates["tables_per_s"], 1
        ),
        "batched_over_openlineage": round(
            batched["tables_per_s"] / single_rates["tables_per_s"], 1
        ),
    }


def measure_size(
    arguments: argparse.Namespace,
    neo4j: Neo4jGraph,
    peer: PostgresPeer | None,
    size: int,
) -> dict[str, Any]:
    """Load a graph of ``size`` tables, time the queries on it, delete it."""
    graph = generate(size, arguments.seed, f"bench_{uuid.uuid4().hex[:8]}")
    try:
        load = loading.load_batched(requests.Session(), arguments.url, graph)
        if peer is not None:
            peer.load(graph)
        tables = query_latency.sample_tables(graph, arguments.samples, arguments.seed)
        api = query_latency.ApiClient(arguments.url)
        queries = query_latency.clients_of(api, query_latency.RawCypher(neo4j), peer)
        latency = query_latency.measure(queries, tables)
        http_floor = api.http_floor(arguments.samples)
    finally:
        loading.delete_graph(neo4j, graph)
        left = loading.count_left(neo4j, graph)
    return {
        "tables": len(graph.tables()),
        "uploads": len(graph.uploads),
        "jobs": graph.job_count,
        "tasks": len(graph.tasks),
        "edges": load["edges"],
        "load": load,
        "queries": latency,
        "http_floor": http_floor,
        "nodes_left_after_delete": left,
    }


def machine() -> dict[str, Any]:
    """Describe the host: CPU, cores, memory, OS and the load when we started."""
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory_kb = int(line.split()[1])
    return {
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "memory_gib": round(memory_kb / 1024 / 1024, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "redis": redis_version(),
        "load_average_start": list(os.getloadavg()),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def neo4j_version(neo4j: Neo4jGraph) -> str:
    records, _, _ = neo4j.driver.execute_query(
        "CALL dbms.components() YIELD versions, edition "
        "RETURN versions[0] AS version, edition",
        database_=neo4j.database,
    )
    return f"{records[0]['version']} {records[0]['edition']}"


def redis_version() -> str:
    client = open_redis(load_settings().redis)
    info: dict[str, Any] = client.info("server")
    return str(info.get("redis_version", "unknown"))


def command_line(arguments: argparse.Namespace) -> str:
    command = ".venv/bin/python -m bench.run_all"
    if arguments.smoke:
        command += " --smoke"
    if arguments.with_1m:
        command += " --with-1m"
    if arguments.own_api:
        command += " --own-api"
    return command


if __name__ == "__main__":
    main()
