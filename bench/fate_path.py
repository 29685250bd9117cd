"""Record a generated graph one request at a time, the way FATE Flow does.

Every upload goes through ``/v1/data/upload``. Each job is submitted through
``/v1/job/submit`` with a DSL built from its tasks, for the guest party only.
Each task then reports its inputs and outputs through
``/v1/tracking/component/output/data/report`` under the generated table
names. The graph in Neo4j so has the same tables and DERIVED_FROM edges as
the OpenLineage load, with FATE's task keys.
"""

from __future__ import annotations

import time
from itertools import groupby
from typing import TYPE_CHECKING, Any

from bench.loading import rates

if TYPE_CHECKING:
    import requests

    from bench.fate_graph import FateGraph, TableKey, Task
    from fate_lineage.graph.driver import Neo4jGraph

GUEST = 9999


def load_fate_one_by_one(
    session: requests.Session, url: str, graph: FateGraph
) -> dict[str, Any]:
    """Record the graph through FATE's endpoints and return the rates."""
    started = time.perf_counter()
    requests_sent = 0
    for table in graph.uploads:
        _call(session, url, "/v1/data/upload", _upload(table))
        requests_sent += 1
    for job_id, grouped in groupby(graph.tasks, key=lambda task: task.job_id):
        tasks = list(grouped)
        dsl, conf = job_definition(tasks)
        body = {"dsl": dsl, "runtime_conf": conf, "job_id": fate_job_id(graph, job_id)}
        _call(session, url, "/v1/job/submit", body)
        requests_sent += 1
        for task in tasks:
            _call(session, url, "/v1/tracking/component/output/data/report",
                  _report(graph, task))  # fmt: skip
            requests_sent += 1
    result = rates(graph, requests_sent, time.perf_counter() - started)
    result["requests"] = result.pop("events")
    result["requests_per_s"] = result.pop("events_per_s")
    return result


def fate_job_id(graph: FateGraph, job_id: str) -> str:
    """Return a job id of the graph's own, so that deleting by prefix finds it."""
    return f"{graph.prefix}_{job_id}"


def job_definition(tasks: list[Task]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Build a DSL v2 and a guest-only runtime conf whose components are the tasks."""
    writer = {
        table: (task.component, f"data_{index}")
        for task in tasks
        for index, table in enumerate(task.outputs)
    }
    components: dict[str, Any] = {}
    readers: dict[str, Any] = {}
    for task in tasks:
        component: dict[str, Any] = {
            "module": "Reader" if task.component.startswith("reader_") else "Bench",
            "output": {"data": [f"data_{i}" for i in range(len(task.outputs))]},
        }
        if task.component.startswith("reader_"):
            table = task.inputs[0]
            readers[task.component] = {
                "table": {"namespace": table[0], "name": table[1]}
            }
        else:
            references = [".".join(writer[table]) for table in task.inputs]
            component["input"] = {"data": {"data": references}}
        components[task.component] = component
    conf = {
        "dsl_version": 2,
        "initiator": {"role": "guest", "party_id": GUEST},
        "role": {"guest": [GUEST]},
        "component_parameters": {"role": {"guest": {"0": readers}}},
    }
    return {"components": components}, conf


def delete_fate_jobs(neo4j: Neo4jGraph, graph: FateGraph) -> None:
    """Delete the jobs and tasks that load_fate_one_by_one recorded."""
    statements = (
        "MATCH (job:Job) WHERE job.job_id STARTS WITH $prefix "
        "MATCH (task:Task)-[:PART_OF]->(job) "
        "CALL (task) { DETACH DELETE task } IN TRANSACTIONS OF 5000 ROWS",
        "MATCH (job:Job) WHERE job.job_id STARTS WITH $prefix "
        "CALL (job) { DETACH DELETE job } IN TRANSACTIONS OF 5000 ROWS",
    )
    with neo4j.driver.session(database=neo4j.database) as session:
        for statement in statements:
            session.run(statement, {"prefix": f"{graph.prefix}_"}).consume()


def _upload(table: TableKey) -> dict[str, Any]:
    return {"namespace": table[0], "table_name": table[1]}


def _report(graph: FateGraph, task: Task) -> dict[str, Any]:
    return {
        "job_id": fate_job_id(graph, task.job_id),
        "component_name": task.component,
        "role": "guest",
        "party_id": GUEST,
        "inputs": [
            {"namespace": table[0], "table_name": table[1], "slot": "data"}
            for table in task.inputs
        ],
        "outputs": [
            {
                "data_name": f"data_{index}",
                "namespace": table[0],
                "table_name": table[1],
            }
            for index, table in enumerate(task.outputs)
        ],
    }


def _call(session: requests.Session, url: str, path: str, body: dict[str, Any]) -> None:
    reply = session.post(url + path, json=body, timeout=60)
    if reply.json()["retcode"] != 0:
        raise SystemExit(f"{path} failed: {reply.text[:1000]}")
