"""Run a bounded mixed load on the API, then check what it left behind.

Each client thread loops over four operations on its own keep-alive
connection until the time is up. They are a tracking query (tracking-source,
lineage or table info), a task report that writes one output table derived
from an earlier one, an OpenLineage COMPLETE event that does the same, and a
resource apply followed by a return. Every client owns one job (the hetero-LR
example with task_cores 1, so 2 cores) and its own tables, all under names
that start with a random token, so the load does not touch other data.

Afterwards it runs three checks. No request got a 5xx or a broken
connection. For each engine, the remaining cores and memory plus its jobs'
allocations equal its total, read in one Redis transaction. Every edge
written by a request that got 200 is in the graph. It prints and writes the results as
JSON, deletes its jobs, tables and Redis keys, and exits 1 when a check
failed.

    .venv/bin/python bench/mixed_load.py --seconds 180 --clients 32

Neo4j and Redis are found through the service settings, so the
FATE_LINEAGE__ variables that point the API elsewhere apply here too.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shlex
import statistics
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import redis
import requests

from fate_lineage.conf import Settings, load_settings
from fate_lineage.graph.driver import Neo4jGraph
from fate_lineage.resources.connection import open_redis
from fate_lineage.resources.manager import ResourceKeys

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "fate"
RESULTS = Path(__file__).resolve().parent / "results"
OPERATIONS = ("query", "report", "openlineage", "apply_return")
WEIGHTS = (4, 2, 2, 2)
# Parents are picked among tables at most this many hops below a client's
# seed table, so lineage walks stay short however long the load runs.
MAX_HOPS = 4
TIMEOUT_SECONDS = 30
REPORTED_TASK = ("hetero_lr_0", "guest", "9999")
SCHEMA_URL = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"


@dataclass
class Client:
    """One load thread's names, what it wrote, and what it measured."""

    index: int
    token: str
    session: requests.Session = field(default_factory=requests.Session)
    tables: list[tuple[str, str, int]] = field(default_factory=list)
    edges: list[dict[str, str]] = field(default_factory=list)
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    outcomes: dict[str, Counter[str]] = field(
        default_factory=lambda: defaultdict(Counter)
    )
    task_version: int = 0
    sequence: int = 0

    @property
    def job_id(self) -> str:
        return f"{self.token}_{self.index}"

    @property
    def namespace(self) -> str:
        return f"{self.token}_ns{self.index}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:9380")
    parser.add_argument(
        "--seconds", type=float, default=180.0, help="load time in seconds"
    )
    parser.add_argument(
        "--clients", type=int, default=32, help="number of client threads"
    )
    parser.add_argument(
        "--seed", type=int, default=None, help="random seed of the operation mix"
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=RESULTS / "mixed_load.json",
        help="JSON results file",
    )
    args = parser.parse_args()

    settings = load_settings()
    token = f"load{uuid.uuid4().hex[:8]}"
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    clients = [Client(index, token) for index in range(args.clients)]
    try:
        for client in clients:
            prepare(args.url, client)
        monitor = InvariantMonitor(settings)
        monitor.start()
        started = time.perf_counter()
        run_clients(args.url, clients, args.seconds, seed)
        elapsed = time.perf_counter() - started
        monitor.stop()
        checks = run_checks(settings, clients, monitor)
    finally:
        clean_up(args.url, settings, token, clients)
    report = summarize(args, seed, clients, elapsed, checks)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    sys.exit(0 if report["passed"] else 1)


def prepare(url: str, client: Client) -> None:
    """Register the client's seed table and submit its job."""
    seed = {"table_name": "seed", "namespace": client.namespace, "row_count": 1}
    call(client.session, url, "/v1/data/upload", seed)
    client.tables.append((client.namespace, "seed", 0))

    folder = EXAMPLE / "hetero_logistic_regression"
    dsl = json.loads((folder / "hetero_lr_normal_dsl.json").read_text())
    text = (folder / "hetero_lr_normal_conf.json").read_text()
    conf = json.loads(text.replace('"experiment"', json.dumps(client.namespace)))
    conf["job_parameters"] = {"common": {"task_cores": 1}}
    body = {"dsl": dsl, "runtime_conf": conf, "job_id": client.job_id}
    call(client.session, url, "/v1/job/submit", body)


def call(session: requests.Session, url: str, path: str, body: Any) -> dict[str, Any]:
    """POST a setup request and raise SystemExit unless it succeeds."""
    reply = session.post(url + path, json=body, timeout=TIMEOUT_SECONDS)
    if reply.status_code != 200:
        raise SystemExit(f"{path} failed with {reply.status_code}: {reply.text}")
    result: dict[str, Any] = reply.json()
    return result


def run_clients(url: str, clients: list[Client], seconds: float, seed: int) -> None:
    deadline = time.monotonic() + seconds
    threads = [
        threading.Thread(target=drive, args=(url, client, deadline, seed))
        for client in clients
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def drive(url: str, client: Client, deadline: float, seed: int) -> None:
    """Send weighted random operations until the deadline."""
    chooser = random.Random(seed + client.index)
    steps = {
        "query": send_query,
        "report": send_report,
        "openlineage": send_event,
        "apply_return": send_apply_return,
    }
    while time.monotonic() < deadline:
        operation = chooser.choices(OPERATIONS, WEIGHTS)[0]
        steps[operation](url, client, chooser)


def post(client: Client, url: str, operation: str, path: str, body: Any) -> int:
    """Send one request, record its latency and outcome, return its status.

    A request that got no HTTP response is recorded as ``connection`` and
    returns 0.
    """
    began = time.perf_counter()
    try:
        reply = client.session.post(url + path, json=body, timeout=TIMEOUT_SECONDS)
    except requests.RequestException as exc:
        client.outcomes[operation][f"connection: {type(exc).__name__}"] += 1
        return 0
    client.latencies[operation].append((time.perf_counter() - began) * 1000)
    status = reply.status_code
    if status == 200:
        client.outcomes[operation]["200"] += 1
    else:
        retcode = reply.json().get("retcode") if _is_json(reply) else None
        client.outcomes[operation][f"{status} retcode {retcode}"] += 1
    return status


def _is_json(reply: requests.Response) -> bool:
    return reply.headers.get("Content-Type", "").startswith("application/json")


def send_query(url: str, client: Client, chooser: random.Random) -> None:
    namespace, name, _ = chooser.choice(client.tables)
    key = {"table_name": name, "namespace": namespace}
    path, body = chooser.choice(
        (
            ("/v1/table/tracking/source", key),
            ("/v1/table/lineage", {**key, "depth": 3, "direction": "both"}),
            ("/v1/table/table_info", key),
        )
    )
    post(client, url, "query", path, body)


def pick_parent(client: Client, chooser: random.Random) -> tuple[str, str, int]:
    shallow = [table for table in client.tables if table[2] < MAX_HOPS]
    return chooser.choice(shallow)


def send_report(url: str, client: Client, chooser: random.Random) -> None:
    """Report one output of the client's guest LR task under a new version."""
    namespace, name, hops = pick_parent(client, chooser)
    parent = {"table_name": name, "namespace": namespace}
    child = f"report{client.task_version}"
    component, role, party_id = REPORTED_TASK
    body = {
        "job_id": client.job_id,
        "component_name": component,
        "role": role,
        "party_id": party_id,
        "task_version": client.task_version,
        "inputs": [{**parent, "slot": "train_data"}],
        "outputs": [
            {
                "data_name": "data",
                "table_name": child,
                "namespace": client.namespace,
                "parents": [parent],
            }
        ],
    }
    client.task_version += 1
    path = "/v1/tracking/component/output/data/report"
    if post(client, url, "report", path, body) == 200:
        _written(client, child, namespace, name, hops)


def send_event(url: str, client: Client, chooser: random.Random) -> None:
    """Send an OpenLineage COMPLETE event of a new run with one input and output."""
    namespace, name, hops = pick_parent(client, chooser)
    client.sequence += 1
    child = f"event{client.sequence}"
    event = {
        "eventType": "COMPLETE",
        "eventTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "producer": "https://example.com/fate-lineage/bench/mixed_load",
        "schemaURL": SCHEMA_URL,
        "run": {"runId": str(uuid.uuid4())},
        "job": {"namespace": client.token, "name": f"client{client.index}"},
        "inputs": [{"namespace": namespace, "name": name}],
        "outputs": [{"namespace": client.namespace, "name": child}],
    }
    if post(client, url, "openlineage", "/api/v1/lineage", event) == 200:
        _written(client, child, namespace, name, hops)


def _written(client: Client, child: str, namespace: str, name: str, hops: int) -> None:
    client.tables.append((client.namespace, child, hops + 1))
    client.edges.append(
        {
            "child_namespace": client.namespace,
            "child_name": child,
            "parent_namespace": namespace,
            "parent_name": name,
        }
    )


def send_apply_return(url: str, client: Client, chooser: random.Random) -> None:
    """Apply the client's job and, when that took resources, return them."""
    body = {"job_id": client.job_id}
    if post(client, url, "apply_return", "/v1/resource/apply", body) == 200:
        post(client, url, "apply_return", "/v1/resource/return", body)


class InvariantMonitor(threading.Thread):
    """Check the resource invariant once a second while the load runs."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(name="invariant-monitor", daemon=True)
        self.settings = settings
        self.snapshots = 0
        self.violations: list[dict[str, Any]] = []
        self._stopped = threading.Event()

    def run(self) -> None:
        while not self._stopped.wait(1.0):
            found = check_invariant(self.settings)
            self.snapshots += 1
            if not found["passed"]:
                self.violations.append(found["engines"])

    def stop(self) -> None:
        self._stopped.set()
        self.join()


def run_checks(
    settings: Settings, clients: list[Client], monitor: InvariantMonitor
) -> dict[str, Any]:
    outcomes = merged_outcomes(clients)
    failed_requests = {
        kind: count
        for kind, count in outcomes.items()
        if kind.startswith(("5", "connection"))
    }
    invariant = check_invariant(settings)
    edges = check_edges(settings, [edge for c in clients for edge in c.edges])
    return {
        "no_5xx_or_connection_error": {
            "passed": not failed_requests,
            "found": failed_requests,
        },
        "resource_invariant": invariant,
        "resource_invariant_during_load": {
            "passed": not monitor.violations,
            "snapshots": monitor.snapshots,
            "violations": monitor.violations[:5],
        },
        "no_edge_lost": edges,
    }


def merged_outcomes(clients: list[Client]) -> Counter[str]:
    total: Counter[str] = Counter()
    for client in clients:
        for counts in client.outcomes.values():
            total.update(counts)
    return total


def check_invariant(settings: Settings) -> dict[str, Any]:
    """Check remaining + held == total for every engine, in one snapshot."""
    client = open_redis(settings.redis)
    keys = ResourceKeys(settings.resource_manager.key_namespace)
    engines, jobs = resource_snapshot(client, keys, list(settings.engines))
    found = {}
    passed = True
    for name, engine in engines.items():
        held = [job for job in jobs if job.get("engine") == name]
        figures = {}
        for unit in ("cores", "memory"):
            total = int(engine[f"total_{unit}"])
            remaining = int(engine[f"remaining_{unit}"])
            used = sum(int(job[unit]) for job in held)
            figures[unit] = {"total": total, "remaining": remaining, "held": used}
            passed = passed and remaining + used == total
        found[name] = {**figures, "jobs_holding": len(held)}
    return {"passed": passed, "engines": found}


def resource_snapshot(
    client: redis.Redis, keys: ResourceKeys, engine_names: list[str]
) -> tuple[dict[str, dict[str, str]], list[dict[str, str]]]:
    """Read the engines and the jobs in use in one transaction.

    WATCH makes the transaction fail when another client changes one of the
    keys in between, and the read then starts again.
    """
    engine_keys = [keys.engine(name) for name in engine_names]
    with client.pipeline(transaction=True) as pipeline:
        while True:
            try:
                # redis-py leaves watch() untyped.
                pipeline.watch(keys.in_use, *engine_keys)  # type: ignore[no-untyped-call]
                job_ids = cast(list[str], pipeline.zrange(keys.in_use, 0, -1))
                job_keys = [keys.job(job_id) for job_id in job_ids]
                if job_keys:
                    pipeline.watch(*job_keys)  # type: ignore[no-untyped-call]
                pipeline.multi()
                for key in engine_keys:
                    pipeline.hgetall(key)
                for key in job_keys:
                    pipeline.hgetall(key)
                replies = pipeline.execute()
            except redis.WatchError:
                continue
            engines = dict(zip(engine_names, replies[: len(engine_keys)], strict=True))
            registered = {name: hash_ for name, hash_ in engines.items() if hash_}
            return registered, [job for job in replies[len(engine_keys) :] if job]


def check_edges(settings: Settings, edges: list[dict[str, str]]) -> dict[str, Any]:
    """Look up every recorded edge and report those the graph lacks."""
    graph = Neo4jGraph(settings.neo4j)
    try:
        records, _, _ = graph.driver.execute_query(
            "UNWIND $edges AS edge "
            "OPTIONAL MATCH (:Table {namespace: edge.child_namespace, "
            "  name: edge.child_name})-[found:DERIVED_FROM]->"
            "  (:Table {namespace: edge.parent_namespace, name: edge.parent_name}) "
            "WITH edge, count(found) AS matches WHERE matches = 0 "
            "RETURN edge",
            {"edges": edges},
            database_=graph.database,
        )
    finally:
        graph.close()
    missing = [dict(record["edge"]) for record in records]
    return {
        "passed": not missing,
        "edges_written": len(edges),
        "edges_missing": len(missing),
        "first_missing": missing[:5],
    }


def clean_up(url: str, settings: Settings, token: str, clients: list[Client]) -> None:
    """Return the jobs' resources, then delete their keys, jobs and tables."""
    session = requests.Session()
    for client in clients:
        body = {"job_id": client.job_id, "force": True}
        session.post(url + "/v1/resource/return", json=body, timeout=TIMEOUT_SECONDS)
    connection = open_redis(settings.redis)
    keys = ResourceKeys(settings.resource_manager.key_namespace)
    connection.delete(*(keys.job(client.job_id) for client in clients))
    graph = Neo4jGraph(settings.neo4j)
    try:
        graph.driver.execute_query(
            "MATCH (node) "
            "WHERE ((node:Table OR node:Column) AND node.namespace STARTS WITH $token) "
            "  OR ((node:Job OR node:Task) AND node.job_id STARTS WITH $token) "
            "DETACH DELETE node",
            {"token": token},
            database_=graph.database,
        )
    finally:
        graph.close()


def summarize(
    args: argparse.Namespace,
    seed: int,
    clients: list[Client],
    elapsed: float,
    checks: dict[str, Any],
) -> dict[str, Any]:
    operations = {}
    for operation in OPERATIONS:
        latencies = [ms for c in clients for ms in c.latencies[operation]]
        outcomes: Counter[str] = Counter()
        for client in clients:
            outcomes.update(client.outcomes[operation])
        operations[operation] = {
            "requests": sum(outcomes.values()),
            "outcomes": dict(sorted(outcomes.items())),
            **percentiles(latencies),
        }
    every = [ms for c in clients for values in c.latencies.values() for ms in values]
    outcomes = merged_outcomes(clients)
    return {
        "command": " ".join(shlex.quote(part) for part in ["python", *sys.argv]),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "url": args.url,
        "clients": args.clients,
        "seconds": round(elapsed, 1),
        "seed": seed,
        "requests": sum(outcomes.values()),
        "requests_per_second": round(sum(outcomes.values()) / elapsed, 1),
        "errors_by_kind": {k: v for k, v in sorted(outcomes.items()) if k != "200"},
        "latency_ms": percentiles(every),
        "operations": operations,
        "checks": checks,
        "passed": all(check["passed"] for check in checks.values()),
    }


def percentiles(latencies: list[float]) -> dict[str, float | None]:
    if len(latencies) < 2:
        return {"p50_ms": None, "p95_ms": None}
    cuts = statistics.quantiles(latencies, n=100)
    return {"p50_ms": round(cuts[49], 1), "p95_ms": round(cuts[94], 1)}


if __name__ == "__main__":
    main()
