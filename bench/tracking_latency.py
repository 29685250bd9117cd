"""Measure tracking-source and lineage latency on the demo graph.

Records the demo through the running API (the four example tables, then the
hetero-LR, union and data-split examples and a second hetero-LR job that reads
the first one's output), then times each query over HTTP on one keep-alive
connection. The data goes into a namespace of its own and is deleted at the
end unless --keep is given.

    .venv/bin/python bench/tracking_latency.py --requests 500
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
import uuid
from pathlib import Path
from typing import Any

import requests

from fate_lineage.conf import load_settings
from fate_lineage.graph.driver import Neo4jGraph

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
RESULTS = Path(__file__).resolve().parent / "results"
JOBS = (
    ("hetero_logistic_regression", "hetero_lr_normal"),
    ("union", "test_union_job"),
    ("data_split", "test_hetero_data_split_job"),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:9380")
    parser.add_argument("--requests", type=int, default=500, help="per query")
    parser.add_argument("--keep", action="store_true", help="keep the demo graph")
    args = parser.parse_args()

    namespace = f"bench_{uuid.uuid4().hex[:8]}"
    session = requests.Session()
    job_ids: list[str] = []
    try:
        target = record_demo(session, args.url, namespace, job_ids)
        results = {
            "tracking_source": measure(
                session, args.url, "/v1/table/tracking/source", target, args.requests
            ),
            "lineage_depth_3": measure(
                session,
                args.url,
                "/v1/table/lineage",
                {**target, "direction": "up", "depth": 3},
                args.requests,
            ),
        }
    finally:
        if not args.keep:
            delete_demo(namespace, job_ids)
    report = {"machine": machine(), "requests": args.requests, "results": results}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "tracking_latency.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


def call(session: requests.Session, url: str, path: str, body: Any) -> Any:
    reply = session.post(url + path, json=body, timeout=30).json()
    if reply["retcode"] != 0:
        raise SystemExit(f"{path} failed: {reply['retmsg']}")
    return reply["data"]


def record_demo(
    session: requests.Session, url: str, namespace: str, job_ids: list[str]
) -> dict[str, str]:
    """Record the demo and return the key of the second job's model output."""
    for side in ("guest", "host"):
        for data_set in ("breast", "motor"):
            body = {"table_name": f"{data_set}_hetero_{side}", "namespace": namespace}
            call(session, url, "/v1/data/upload", body)
    outputs = {}
    for folder, stem in JOBS:
        dsl = json.loads((EXAMPLES / "fate" / folder / f"{stem}_dsl.json").read_text())
        conf_text = (EXAMPLES / "fate" / folder / f"{stem}_conf.json").read_text()
        conf = json.loads(conf_text.replace('"experiment"', json.dumps(namespace)))
        outputs[stem] = run_job(session, url, dsl, conf, job_ids)
    first = outputs["hetero_lr_normal"]
    dsl = json.loads(
        (EXAMPLES / "fate" / JOBS[0][0] / f"{JOBS[0][1]}_dsl.json").read_text()
    )
    conf = json.loads(
        (EXAMPLES / "fate" / JOBS[0][0] / f"{JOBS[0][1]}_conf.json").read_text()
    )
    conf["component_parameters"]["role"]["guest"]["0"]["reader_0"]["table"] = {
        "name": first["table_name"],
        "namespace": first["table_namespace"],
    }
    conf["component_parameters"]["role"]["host"]["0"]["reader_0"]["table"] = {
        "name": "breast_hetero_host",
        "namespace": namespace,
    }
    second = run_job(session, url, dsl, conf, job_ids)
    return {"table_name": second["table_name"], "namespace": second["table_namespace"]}


def run_job(
    session: requests.Session, url: str, dsl: Any, conf: Any, job_ids: list[str]
) -> dict[str, str]:
    """Submit and simulate a job; return the guest's last-but-one output."""
    job = call(session, url, "/v1/job/submit", {"dsl": dsl, "runtime_conf": conf})
    job_ids.append(job["job_id"])
    result = call(session, url, "/v1/job/simulate", {"job_id": job["job_id"]})
    guest = [task for task in result["tasks"] if task["role"] == "guest"]
    output: dict[str, str] = guest[-2]["outputs"][0]
    return output


def measure(
    session: requests.Session, url: str, path: str, body: Any, count: int
) -> dict[str, float]:
    for _ in range(20):
        call(session, url, path, body)
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        call(session, url, path, body)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return {
        "p50_ms": round(statistics.median(timings), 2),
        "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 2),
        "max_ms": round(timings[-1], 2),
    }


def delete_demo(namespace: str, job_ids: list[str]) -> None:
    graph = Neo4jGraph(load_settings().neo4j)
    try:
        graph.driver.execute_query(
            "MATCH (node) WHERE node.namespace = $namespace "
            "OR node.job_id IN $jobs "
            "OR any(job IN $jobs WHERE node.namespace STARTS WITH "
            "  'output_data_' + job + '_') "
            "DETACH DELETE node",
            {"namespace": namespace, "jobs": job_ids},
            database_=graph.database,
        )
    finally:
        graph.close()


def machine() -> dict[str, Any]:
    import os

    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }


if __name__ == "__main__":
    main()
