"""Fixtures for tests against the real Neo4j and Redis of the local stack.

Start them with ``stack/stack.sh start`` (``stack/stack.sh test`` does it for
you). A backend that does not respond fails the run: these tests never skip.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis
from flask.testing import FlaskClient

from fate_lineage.api.app import create_app
from fate_lineage.conf import Settings, load_settings
from fate_lineage.errors import BackendUnavailable
from fate_lineage.graph.driver import Neo4jGraph
from fate_lineage.resources.connection import open_redis, ping_redis


@pytest.fixture(scope="session")
def settings() -> Settings:
    return load_settings()


@pytest.fixture(scope="session")
def graph(settings: Settings) -> Iterator[Neo4jGraph]:
    graph = Neo4jGraph(settings.neo4j)
    try:
        graph.ping()
    except BackendUnavailable as exc:
        pytest.fail(f"{exc.message} Integration tests need the local stack.")
    yield graph
    graph.close()


@pytest.fixture(scope="session")
def redis_client(settings: Settings) -> redis.Redis:
    client = open_redis(settings.redis)
    try:
        ping_redis(client)
    except BackendUnavailable as exc:
        pytest.fail(f"{exc.message} Integration tests need the local stack.")
    return client


@dataclass
class TrackingScope:
    """Unique names for one test's tables and jobs, deleted after the test.

    Neo4j Community has one user database, so tests share it and keep apart
    by name: every namespace starts with ``namespace`` and every job id with
    ``job_prefix``. Generated job ids go in ``extra_job_ids``.
    """

    token: str
    extra_job_ids: list[str] = field(default_factory=list)

    @property
    def namespace(self) -> str:
        return f"test_{self.token}"

    @property
    def job_prefix(self) -> str:
        return f"job{self.token}"

    def job_id(self, suffix: str = "0") -> str:
        return f"{self.job_prefix}_{suffix}"


@pytest.fixture
def scope(graph: Neo4jGraph) -> Iterator[TrackingScope]:
    tracking = TrackingScope(uuid.uuid4().hex[:12])
    yield tracking
    delete_scope(graph, tracking)


def delete_scope(graph: Neo4jGraph, tracking: TrackingScope) -> None:
    """Delete every table, column, job and task named within ``tracking``."""
    job_prefixes = [tracking.job_prefix, *tracking.extra_job_ids]
    graph.driver.execute_query(
        "MATCH (node) "
        "WHERE ((node:Table OR node:Column) "
        "  AND (node.namespace STARTS WITH $namespace "
        "  OR any(prefix IN $jobs WHERE node.namespace STARTS WITH "
        "    'output_data_' + prefix))) "
        "  OR ((node:Job OR node:Task) AND any(prefix IN $jobs "
        "    WHERE node.job_id STARTS WITH prefix)) "
        "DETACH DELETE node",
        {"namespace": tracking.namespace, "jobs": job_prefixes},
        database_=graph.database,
    )


@pytest.fixture(scope="session")
def client(settings: Settings) -> FlaskClient:
    return create_app(settings).test_client()


@pytest.fixture
def graph_dump(graph: Neo4jGraph) -> Any:
    """Return a function that lists one test's nodes and edges, sorted."""

    def dump(namespace: str, job_id: str) -> list[str]:
        records, _, _ = graph.driver.execute_query(
            "MATCH (node) WHERE node.namespace STARTS WITH $namespace "
            "  OR node.job_id = $job_id OR node.namespace CONTAINS $job_id "
            "OPTIONAL MATCH (node)-[edge]->(other) "
            "RETURN properties(node) AS node, type(edge) AS type, "
            "  properties(edge) AS edge, properties(other) AS other",
            {"namespace": namespace, "job_id": job_id},
            database_=graph.database,
        )
        return sorted(json.dumps(dict(record), sort_keys=True) for record in records)

    return dump


FLOW = str(Path(sys.executable).parent / "flow")


@pytest.fixture
def flow_env(tmp_path: Path) -> dict[str, str]:
    environ = {
        k: v for k, v in os.environ.items() if not k.startswith("FATE_LINEAGE_FLOW")
    }
    environ["FATE_LINEAGE_FLOW_CONFIG"] = str(tmp_path / "flow.json")
    return environ


@pytest.fixture
def service_flow_env(settings: Settings, flow_env: dict[str, str]) -> dict[str, str]:
    """Return a flow environment pointed at the stack's API."""
    flow_env["FATE_LINEAGE_FLOW_IP"] = settings.service.host
    flow_env["FATE_LINEAGE_FLOW_PORT"] = str(settings.service.http_port)
    return flow_env


def run_flow(environ: dict[str, str], *args: str) -> tuple[int, dict[str, Any]]:
    done = subprocess.run(
        [FLOW, *args], capture_output=True, text=True, env=environ, timeout=60
    )
    return done.returncode, json.loads(done.stdout)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def accepts_connections(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def start_redis_server(
    directory: Path, port: int, appendonly: bool
) -> subprocess.Popen[bytes]:
    """Start a redis-server of a test's own on loopback; wait until it accepts."""
    server = shutil.which("redis-server")
    assert server, "redis-server is not installed; run stack/stack.sh install"
    process = subprocess.Popen(
        [
            server,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(directory),
            "--save",
            "",
            "--appendonly",
            "yes" if appendonly else "no",
            "--appendfsync",
            "always",
        ],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while not accepts_connections(port):
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            pytest.fail(f"the test's own redis-server on port {port} did not start")
        time.sleep(0.05)
    return process


EXAMPLE_JOBS = Path(__file__).resolve().parents[2] / "examples" / "fate"


def hetero_lr_example(namespace: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return the hetero-LR example's DSL and conf, reading from ``namespace``.

    Moving the Reader tables out of ``experiment`` keeps tests away from the
    demo's tables, and the test's own cleanup then removes them.
    """
    folder = EXAMPLE_JOBS / "hetero_logistic_regression"
    dsl = json.loads((folder / "hetero_lr_normal_dsl.json").read_text())
    text = (folder / "hetero_lr_normal_conf.json").read_text()
    conf = json.loads(text.replace('"experiment"', json.dumps(namespace)))
    return dsl, conf
