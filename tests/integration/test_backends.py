from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from fate_lineage.api.app import create_app
from fate_lineage.conf import Settings
from fate_lineage.graph.driver import SCHEMA_STATEMENTS, Neo4jGraph
from tests.integration.conftest import free_port, start_redis_server

if TYPE_CHECKING:
    import redis
    from flask.testing import FlaskClient

EXPECTED_CONSTRAINTS = {"table_key", "job_id", "task_key", "archive_key", "column_key"}
EXPECTED_INDEXES = {"job_status_created", "table_namespace", "archive_type"}


def with_redis_url(settings: Settings, url: str) -> Settings:
    return dataclasses.replace(
        settings, redis=dataclasses.replace(settings.redis, url=url)
    )


def with_neo4j_uri(settings: Settings, uri: str) -> Settings:
    return dataclasses.replace(
        settings, neo4j=dataclasses.replace(settings.neo4j, uri=uri)
    )


def test_readyz_reports_both_ready(
    settings: Settings, graph: Neo4jGraph, redis_client: redis.Redis
) -> None:
    response = create_app(settings).test_client().get("/readyz")
    body = response.get_json()

    assert response.status_code == 200
    assert body["retcode"] == 0
    assert body["data"]["neo4j"]["ready"] is True
    assert body["data"]["neo4j"]["version"].startswith("5.26")
    assert body["data"]["redis"]["ready"] is True
    assert body["data"]["redis"]["aof_enabled"] is True


def test_schema_apply_is_idempotent(graph: Neo4jGraph) -> None:
    graph.apply_schema()
    graph.apply_schema()

    with graph.driver.session(database=graph.database) as session:
        constraints = {record["name"] for record in session.run("SHOW CONSTRAINTS")}
        indexes = {record["name"] for record in session.run("SHOW INDEXES")}
    assert constraints >= EXPECTED_CONSTRAINTS
    assert indexes >= EXPECTED_INDEXES
    assert len(SCHEMA_STATEMENTS) == len(EXPECTED_CONSTRAINTS | EXPECTED_INDEXES)


def test_readyz_names_neo4j_when_down(
    settings: Settings, redis_client: redis.Redis
) -> None:
    down = with_neo4j_uri(settings, f"bolt://127.0.0.1:{free_port()}")

    response = create_app(down).test_client().get("/readyz")
    body = response.get_json()

    assert response.status_code == 503
    assert body["retcode"] == 105
    assert body["retmsg"].startswith("not ready: neo4j is unavailable")
    assert "redis is unavailable" not in body["retmsg"]
    assert body["data"]["neo4j"]["ready"] is False
    assert body["data"]["redis"]["ready"] is True


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A Redis server of this test's own, so that stopping it harms nothing."""
    port = free_port()
    process = start_redis_server(tmp_path, port, appendonly=False)
    yield f"redis://127.0.0.1:{port}/0", process
    if process.poll() is None:
        process.terminate()
        process.wait(timeout=10)


def test_readyz_names_redis_after_it_stops(
    settings: Settings,
    graph: Neo4jGraph,
    own_redis: tuple[str, subprocess.Popen[bytes]],
) -> None:
    url, process = own_redis
    client = create_app(with_redis_url(settings, url)).test_client()
    assert client.get("/readyz").status_code == 200

    process.terminate()
    process.wait(timeout=10)
    response = client.get("/readyz")
    body = response.get_json()

    assert response.status_code == 503
    assert body["retmsg"].startswith("not ready: redis is unavailable")
    assert url.removesuffix("/0") in body["retmsg"]
    assert body["data"]["neo4j"]["ready"] is True


def test_readiness_module_exit_codes(
    settings: Settings, graph: Neo4jGraph, redis_client: redis.Redis
) -> None:
    ready = subprocess.run(
        [sys.executable, "-m", "fate_lineage.readiness", "neo4j"],
        capture_output=True,
        text=True,
    )
    environ = {
        **os.environ,
        "FATE_LINEAGE__REDIS__URL": f"redis://127.0.0.1:{free_port()}/0",
    }
    down = subprocess.run(
        [sys.executable, "-m", "fate_lineage.readiness", "redis"],
        capture_output=True,
        text=True,
        env=environ,
    )

    assert ready.returncode == 0, ready.stderr
    assert down.returncode == 1
    assert "redis is unavailable" in down.stderr


def stack_pid(service_dir: str, pid_file: str) -> int:
    repo = Path(__file__).resolve().parents[2]
    state = Path(os.environ.get("FATE_LINEAGE_STATE", repo / ".state"))
    return int((state / service_dir / pid_file).read_text(encoding="utf-8"))


def test_readyz_deadline_when_neo4j_freezes(
    settings: Settings, graph: Neo4jGraph
) -> None:
    # A frozen server keeps its pooled connections open but never replies,
    # which no socket timeout of the driver catches.
    client = create_app(settings).test_client()
    assert client.get("/readyz").status_code == 200
    neo4j_pid = stack_pid("neo4j", "neo4j.pid")

    os.kill(neo4j_pid, signal.SIGSTOP)
    try:
        wait_until_stopped(neo4j_pid)
        began = time.monotonic()
        response = client.get("/readyz")
        waited = time.monotonic() - began
    finally:
        os.kill(neo4j_pid, signal.SIGCONT)
    body = response.get_json()

    assert response.status_code == 503
    assert body["data"]["neo4j"]["reason"].startswith("neo4j is unavailable: no reply")
    assert body["data"]["redis"]["ready"] is True
    assert waited < settings.neo4j.connection_timeout + 2
    assert wait_until_ready(client), "readyz did not recover after SIGCONT"


def wait_until_stopped(pid: int, seconds: float = 5) -> None:
    """Wait until every thread of ``pid`` is stopped.

    kill() returns before threads running on another core have stopped, and
    one of them could still answer a request sent right after it.
    """
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        states = []
        for stat in Path(f"/proc/{pid}/task").glob("*/stat"):
            # The state follows the parenthesised command name.
            states.append(stat.read_text().rsplit(")", 1)[1].split()[0])
        if states and all(state == "T" for state in states):
            return
        time.sleep(0.01)
    pytest.fail(f"process {pid} did not stop within {seconds} s of SIGSTOP")


def wait_until_ready(client: FlaskClient, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if client.get("/readyz").status_code == 200:
            return True
        time.sleep(0.5)
    return False
