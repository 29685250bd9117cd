"""Measure apply+return pairs per second through the API and the Lua layer.

Through the API, each client thread owns one job and applies and returns
it in a loop over its own keep-alive connection. The job is the hetero-LR
example with task_cores 1, so it takes 2 cores, and up to 10 jobs fit the
default 20-core engine at once. Every pair also notes two events on the job
node in Neo4j.
Through the Lua layer, the same pairs run as apply_job.lua and
return_job.lua calls on Redis, under a key namespace of their own. The
jobs and keys are deleted at the end.

    .venv/bin/python bench/resource_throughput.py --seconds 10 --clients 8
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import requests

from fate_lineage.conf import load_settings
from fate_lineage.graph.driver import Neo4jGraph
from fate_lineage.resources.connection import open_redis
from fate_lineage.resources.demand import PartyDemand, engine_totals
from fate_lineage.resources.manager import ResourceStore

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "fate"
RESULTS = Path(__file__).resolve().parent / "results"
ENGINE = "STANDALONE"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:9380")
    parser.add_argument("--seconds", type=float, default=10.0, help="per run")
    parser.add_argument("--clients", type=int, default=8, help="threads")
    args = parser.parse_args()

    prefix = f"bench{uuid.uuid4().hex[:8]}"
    job_ids = [f"{prefix}_{index}" for index in range(args.clients)]
    try:
        submit_jobs(args.url, job_ids)
        results = {
            "api": measure(args.clients, args.seconds, api_pair(args.url, job_ids)),
            "lua": measure(args.clients, args.seconds, lua_pair(prefix, job_ids)),
            "lua_one_client": measure(1, args.seconds, lua_pair(prefix, job_ids)),
        }
    finally:
        clean_up(prefix, job_ids)
    report = {
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "clients": args.clients,
        "seconds": args.seconds,
        "pairs_per_second": results,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "resource_throughput.json").write_text(
        json.dumps(report, indent=2) + "\n"
    )
    print(json.dumps(report, indent=2))


def submit_jobs(url: str, job_ids: list[str]) -> None:
    folder = EXAMPLE / "hetero_logistic_regression"
    dsl = json.loads((folder / "hetero_lr_normal_dsl.json").read_text())
    conf = json.loads((folder / "hetero_lr_normal_conf.json").read_text())
    conf["job_parameters"] = {"common": {"task_cores": 1}}
    for job_id in job_ids:
        body = {"dsl": dsl, "runtime_conf": conf, "job_id": job_id}
        reply = requests.post(url + "/v1/job/submit", json=body, timeout=30).json()
        if reply["retcode"] != 0:
            raise SystemExit(f"submit failed: {reply['retmsg']}")


def api_pair(url: str, job_ids: list[str]) -> Callable[[int], Callable[[], None]]:
    def for_client(index: int) -> Callable[[], None]:
        session = requests.Session()
        body = {"job_id": job_ids[index]}

        def pair() -> None:
            for path in ("/v1/resource/apply", "/v1/resource/return"):
                reply = session.post(url + path, json=body, timeout=30).json()
                if reply["retcode"] != 0:
                    raise SystemExit(f"{path} failed: {reply['retmsg']}")

        return pair

    return for_client


def lua_pair(prefix: str, job_ids: list[str]) -> Callable[[int], Callable[[], None]]:
    settings = load_settings()
    store = ResourceStore(open_redis(settings.redis), prefix)
    store.register_engine(
        engine_totals(ENGINE, settings.engines[ENGINE], settings.job_defaults), 0
    )
    parties = tuple(
        PartyDemand(role, party_id, 1, 0, 1, 0, 1, 1, 1)
        for role, party_id in (("guest", "9999"), ("host", "10000"))
    )

    def for_client(index: int) -> Callable[[], None]:
        def pair() -> None:
            now = time.time_ns() // 1_000_000
            applied = store.apply(job_ids[index], ENGINE, parties, now, now + 60_000)
            returned = store.give_back(job_ids[index], ENGINE, now)
            if applied.status != 1 or returned.status != 1:
                raise SystemExit(f"Lua pair failed: {applied}, {returned}")

        return pair

    return for_client


def measure(
    clients: int, seconds: float, make: Callable[[int], Callable[[], None]]
) -> float:
    counts = [0] * clients
    stop = threading.Event()

    def loop(index: int) -> None:
        pair = make(index)
        while not stop.is_set():
            pair()
            counts[index] += 1

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    return round(sum(counts) / (time.perf_counter() - started), 1)


def clean_up(prefix: str, job_ids: list[str]) -> None:
    settings = load_settings()
    client = open_redis(settings.redis)
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    service_keys = ResourceStore(client, settings.resource_manager.key_namespace).keys
    keys += [service_keys.job(job_id) for job_id in job_ids]
    client.delete(*keys)
    graph = Neo4jGraph(settings.neo4j)
    try:
        graph.driver.execute_query(
            "MATCH (node) WHERE node.job_id IN $jobs DETACH DELETE node",
            {"jobs": job_ids},
            database_=graph.database,
        )
    finally:
        graph.close()


if __name__ == "__main__":
    main()
