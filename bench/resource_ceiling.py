"""Measure apply+return against the HTTP and Redis ceilings, with many clients.

Starts a gunicorn of its own on a free loopback port (the stack's API may
predate the no-op route), with a Redis key namespace of its own and a
standalone engine of ``cores`` cores. Each client thread owns one hetero-LR
job that takes 2 cores, so with 64 clients and 64 cores half the applies
find the engine full and get 409. The same loop then runs against the
no-op route, through the Lua scripts directly, and redis-benchmark runs a
trivial script with as many clients. A monitor samples the engine's
remaining cores throughout, and the end checks that every core came back.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests

from fate_lineage.api.metrics_dir import METRICS_DIR_VARIABLE
from fate_lineage.conf import load_settings
from fate_lineage.graph.driver import Neo4jGraph
from fate_lineage.resources.connection import open_redis
from fate_lineage.resources.demand import PartyDemand, engine_totals
from fate_lineage.resources.manager import ResourceStore

if TYPE_CHECKING:
    import redis

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "fate"
ENGINE = "STANDALONE"
INSUFFICIENT_RESOURCES = 103
# Cores one bench job takes: task_cores 1 for the guest and for the host.
JOB_CORES = 2

Loop = Callable[[int], Callable[[], tuple[int, int]]]


class OwnApi:
    """A gunicorn master of our own and what it needs cleaning up."""

    def __init__(self, namespace: str, cores: int) -> None:
        self.namespace = namespace
        self.folder = Path(tempfile.mkdtemp(prefix="fate_lineage_bench_api_"))
        port = _free_port()
        self.url = f"http://127.0.0.1:{port}"
        environ = {
            **{k: v for k, v in os.environ.items() if k != METRICS_DIR_VARIABLE},
            "FATE_LINEAGE__FATEFLOW__HTTP_PORT": str(port),
            "FATE_LINEAGE__RESOURCE_MANAGER__KEY_NAMESPACE": namespace,
            "FATE_LINEAGE__FATE_ON_STANDALONE__STANDALONE__CORES_PER_NODE": str(cores),
            "FATE_LINEAGE__FATE_ON_STANDALONE__STANDALONE__NODES": "1",
        }
        gunicorn = Path(sys.executable).parent / "gunicorn"
        self.master = subprocess.Popen(
            [
                str(gunicorn), "--config", "python:fate_lineage.api.gunicorn_conf",
                "--control-socket", str(self.folder / "gunicorn.ctl"),
                "--error-logfile", str(self.folder / "error.log"),
                "fate_lineage.api.app:create_app()",
            ],
            env=environ,
        )  # fmt: skip
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and self.master.poll() is None:
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        log = (self.folder / "error.log").read_text(errors="replace")[-3000:]
        self.stop()
        raise SystemExit(f"own gunicorn did not start; its log ends with:\n{log}")

    def stop(self) -> None:
        if self.master.poll() is None:
            self.master.send_signal(signal.SIGTERM)
            self.master.wait(timeout=60)
        shutil.rmtree(self.folder, ignore_errors=True)


def run(clients: int, seconds: float, cores: int) -> dict[str, Any]:
    """Run every measurement and return the figures and the checks."""
    settings = load_settings()
    token = uuid.uuid4().hex[:8]
    api_namespace, lua_namespace = f"bench_api_{token}", f"bench_lua_{token}"
    job_ids = [f"bench{token}_{index}" for index in range(clients)]
    client = open_redis(settings.redis)
    api = OwnApi(api_namespace, cores)
    try:
        submit_jobs(api.url, job_ids)
        api_store = ResourceStore(client, api_namespace)
        results = {
            "noop": measure(clients, seconds, noop_loop(api.url, job_ids)),
            "api": measure(
                clients, seconds, api_loop(api.url, job_ids), api_store, cores
            ),
        }
        lua_store = lua_engine(client, lua_namespace, cores)
        results["lua"] = measure(
            clients, seconds, lua_loop(lua_store, job_ids), lua_store, cores
        )
        results["redis_benchmark"] = redis_benchmark(settings.redis.url, clients)
        results["after"] = {
            "api": leftovers(api_store, cores),
            "lua": leftovers(lua_store, cores),
        }
    finally:
        api.stop()
        clean_up(client, (api_namespace, lua_namespace), job_ids)
    return {"clients": clients, "seconds": seconds, "cores": cores, **results}


def submit_jobs(url: str, job_ids: list[str]) -> None:
    folder = EXAMPLE / "hetero_logistic_regression"
    dsl = json.loads((folder / "hetero_lr_normal_dsl.json").read_text())
    conf = json.loads((folder / "hetero_lr_normal_conf.json").read_text())
    conf["job_parameters"] = {"common": {"task_cores": 1}}
    session = requests.Session()
    for job_id in job_ids:
        body = {"dsl": dsl, "runtime_conf": conf, "job_id": job_id}
        reply = session.post(url + "/v1/job/submit", json=body, timeout=60).json()
        if reply["retcode"] != 0:
            raise SystemExit(f"job submit failed for {job_id}: {reply['retmsg']}")


def noop_loop(url: str, job_ids: list[str]) -> Loop:
    """Two no-op requests per round, the HTTP cost of one apply and return."""

    def for_client(index: int) -> Callable[[], tuple[int, int]]:
        session = requests.Session()
        body = {"job_id": job_ids[index]}

        def round_trip() -> tuple[int, int]:
            for _ in range(2):
                session.post(url + "/bench/noop", json=body, timeout=60)
            return 1, 0

        return round_trip

    return for_client


def api_loop(url: str, job_ids: list[str]) -> Loop:
    """Apply, and return when the apply took the cores; rejected applies count."""

    def for_client(index: int) -> Callable[[], tuple[int, int]]:
        session = requests.Session()
        body = {"job_id": job_ids[index]}

        def round_trip() -> tuple[int, int]:
            applied = session.post(url + "/v1/resource/apply", json=body, timeout=60)
            retcode = applied.json()["retcode"]
            if retcode == INSUFFICIENT_RESOURCES:
                return 0, 1
            if retcode != 0:
                raise SystemExit(f"apply failed: {applied.text[:500]}")
            returned = session.post(url + "/v1/resource/return", json=body, timeout=60)
            if returned.json()["retcode"] != 0:
                raise SystemExit(f"return failed: {returned.text[:500]}")
            return 1, 0

        return round_trip

    return for_client


def lua_engine(client: redis.Redis, namespace: str, cores: int) -> ResourceStore:
    settings = load_settings()
    engine = settings.engines[ENGINE]
    store = ResourceStore(client, namespace)
    totals = engine_totals(ENGINE, engine, settings.job_defaults)
    sized = dataclasses.replace(totals, cores=cores, cores_per_node=cores, nodes=1)
    store.register_engine(sized, 0)
    return store


def lua_loop(store: ResourceStore, job_ids: list[str]) -> Loop:
    """Return a loop running api_loop's round as apply_job.lua and return_job.lua."""
    parties = tuple(
        PartyDemand(role, party_id, 1, 0, 1, 0, 1, 1, 1)
        for role, party_id in (("guest", "9999"), ("host", "10000"))
    )

    def for_client(index: int) -> Callable[[], tuple[int, int]]:
        def round_trip() -> tuple[int, int]:
            now = time.time_ns() // 1_000_000
            applied = store.apply(job_ids[index], ENGINE, parties, now, now + 60_000)
            if applied.status != 1:
                return 0, 1
            returned = store.give_back(job_ids[index], ENGINE, now)
            if returned.status != 1:
                raise SystemExit(f"Lua return failed: {returned}")
            return 1, 0

        return round_trip

    return for_client


def measure(
    clients: int,
    seconds: float,
    make: Loop,
    store: ResourceStore | None = None,
    cores: int = 0,
) -> dict[str, Any]:
    """Run ``clients`` threads for ``seconds`` and count pairs and rejections."""
    pairs, rejected = [0] * clients, [0] * clients
    stop = threading.Event()

    def loop(index: int) -> None:
        round_trip = make(index)
        while not stop.is_set():
            done, refused = round_trip()
            pairs[index] += done
            rejected[index] += refused

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(clients)]
    samples: list[int] = []
    monitor = threading.Thread(target=_sample_remaining, args=(store, stop, samples))
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    if store is not None:
        monitor.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if store is not None:
        monitor.join()
    result: dict[str, Any] = {
        "pairs_per_s": round(sum(pairs) / elapsed, 1),
        "rejected_applies_per_s": round(sum(rejected) / elapsed, 1),
    }
    if samples:
        result["remaining_cores_min"] = min(samples)
        result["remaining_cores_max"] = max(samples)
        result["held_cores_max"] = cores - min(samples)
        result["samples"] = len(samples)
    return result


def _sample_remaining(
    store: ResourceStore | None, stop: threading.Event, samples: list[int]
) -> None:
    while store is not None and not stop.is_set():
        samples.append(int(store.engine(ENGINE)["remaining_cores"]))
        time.sleep(0.01)


def leftovers(store: ResourceStore, cores: int) -> dict[str, Any]:
    """Return the cores and jobs still allocated on the engine after a run.

    After a clean run both are zero.
    """
    engine = store.engine(ENGINE)
    return {
        "total_cores": int(engine["total_cores"]),
        "remaining_cores": int(engine["remaining_cores"]),
        "jobs_in_use": len(store.jobs_in_use()),
        "over_allocated": int(engine["remaining_cores"]) < 0,
        "all_returned": int(engine["remaining_cores"]) == cores,
    }


def redis_benchmark(url: str, clients: int) -> dict[str, Any]:
    """Run EVAL of ``return 1`` with ``clients`` connections; return its rate."""
    address = url.split("//", 1)[1].split("/", 1)[0].rsplit("@", 1)[-1]
    host, port = address.rsplit(":", 1)
    command = [
        "redis-benchmark", "-h", host, "-p", port, "-c", str(clients),
        "-n", "200000", "--csv", "EVAL", "return 1", "0",
    ]  # fmt: skip
    finished = subprocess.run(
        command, capture_output=True, text=True, check=True, timeout=300
    )
    row = finished.stdout.strip().splitlines()[-1].replace('"', "").split(",")
    requests_per_s = float(row[1])
    return {
        "command": " ".join(command[:9]) + " EVAL 'return 1' 0",
        "requests_per_s": requests_per_s,
        "p50_ms": float(row[4]),
        # apply and return are two script calls per pair.
        "pairs_per_s": round(requests_per_s / 2, 1),
    }


def clean_up(
    client: redis.Redis, namespaces: tuple[str, ...], job_ids: list[str]
) -> None:
    for namespace in namespaces:
        keys = list(client.scan_iter(match=f"{namespace}:*", count=1000))
        if keys:
            client.delete(*keys)
    graph = Neo4jGraph(load_settings().neo4j)
    try:
        graph.driver.execute_query(
            "MATCH (job:Job) WHERE job.job_id IN $jobs "
            "OPTIONAL MATCH (task:Task)-[:PART_OF]->(job) "
            "DETACH DELETE job, task",
            {"jobs": job_ids},
            database_=graph.database,
        )
    finally:
        graph.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
