"""Dependency distribution against real Redis, Neo4j and a PySpark local cluster.

The executors run a function that imports one module found only in the code
archive and one package installed only in the packed environment. Without
distribution the job fails; with it the job passes.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

import pytest
import redis

from fate_lineage.api.app import create_app
from fate_lineage.distribution.service import DependencyService
from fate_lineage.distribution.spark import submit_arguments
from fate_lineage.distribution.store import LocalStore
from fate_lineage.graph.archives import ArchiveRepository
from tests.integration.conftest import hetero_lr_example

if TYPE_CHECKING:
    from fate_lineage.conf import Settings
    from fate_lineage.graph.driver import Neo4jGraph
    from tests.integration.conftest import TrackingScope

SPARK_SUBMIT = Path(sys.executable).parent / "spark-submit"
DRIVER = """
from pyspark import SparkContext


def probe(_):
    import fl_code_probe
    import fl_env_probe

    return fl_code_probe.VALUE + "/" + fl_env_probe.VALUE


context = SparkContext(appName="fate-lineage-distribution-probe")
print("RESULT", sorted(set(context.parallelize(range(4), 2).map(probe).collect())))
context.stop()
"""


@dataclasses.dataclass
class Workspace:
    code_root: Path
    env: Path
    store: Path
    settings: Settings


@pytest.fixture
def workspace(
    settings: Settings,
    tmp_path: Path,
    scope: TrackingScope,
    graph: Neo4jGraph,
    redis_client: redis.Redis,
) -> Iterator[Workspace]:
    """A code root, a small virtualenv with one package, and a file store."""
    code_root = tmp_path / "code" / "python"
    (code_root / "fl_code_probe").mkdir(parents=True)
    (code_root / "fl_code_probe" / "__init__.py").write_text('VALUE = "code"\n')
    env = tmp_path / "env"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(env)], check=True
    )
    site = next((env / "lib").glob("python3.*")) / "site-packages"
    (site / "fl_env_probe").mkdir()
    (site / "fl_env_probe" / "__init__.py").write_text('VALUE = "env"\n')
    namespace = f"test_{scope.token}"
    configured = dataclasses.replace(
        settings,
        dependent_distribution=True,
        dependency=dataclasses.replace(
            settings.dependency,
            code_roots=(str(code_root),),
            python_env=str(env),
            store=(tmp_path / "store").as_uri(),
        ),
        resource_manager=dataclasses.replace(
            settings.resource_manager, key_namespace=namespace
        ),
    )
    yield Workspace(code_root, env, tmp_path / "store", configured)
    graph.driver.execute_query(
        "MATCH (archive:Archive) WHERE archive.path STARTS WITH $store "
        "DETACH DELETE archive",
        {"store": (tmp_path / "store").as_uri()},
        database_=graph.database,
    )
    for key in redis_client.scan_iter(match=f"{namespace}:*"):
        redis_client.delete(key)


def service_for(workspace: Workspace, graph: Neo4jGraph, client: redis.Redis) -> Any:
    return DependencyService(workspace.settings, ArchiveRepository(graph), client)


def spark_submit(
    tmp_path: Path, arguments: list[str]
) -> subprocess.CompletedProcess[str]:
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER)
    environ = {**os.environ, "PYSPARK_PYTHON": sys.executable}
    environ.pop("PYTHONPATH", None)
    return subprocess.run(
        [
            str(SPARK_SUBMIT),
            "--master",
            "local-cluster[2,1,1024]",
            "--conf",
            f"spark.pyspark.driver.python={sys.executable}",
            *arguments,
            str(driver),
        ],
        capture_output=True,
        text=True,
        env=environ,
        timeout=600,
        cwd=tmp_path,
    )


def test_executors_need_distribution(
    workspace: Workspace,
    graph: Neo4jGraph,
    redis_client: redis.Redis,
    tmp_path: Path,
) -> None:
    service = service_for(workspace, graph, redis_client)
    code, env = service.archives_for("SPARK")

    without = spark_submit(
        tmp_path, ["--conf", f"spark.pyspark.python={sys.executable}"]
    )
    started = time.perf_counter()
    with_archives = spark_submit(tmp_path, submit_arguments(code, env, sys.executable))
    print(f"spark job with archives: {time.perf_counter() - started:.1f} s")

    assert without.returncode != 0
    assert "No module named 'fl_code_probe'" in without.stderr
    assert with_archives.returncode == 0, with_archives.stderr[-3000:]
    assert "RESULT ['code/env']" in with_archives.stdout
    assert env["python"].startswith("bin/python3")
    print(
        json.dumps(
            {
                a["type"]: {
                    "bytes": a["size"],
                    "pack_seconds": a["pack_seconds"],
                    "store_seconds": a["store_seconds"],
                }
                for a in (code, env)
            }
        )
    )


def test_new_version_only_on_content_change(
    workspace: Workspace, graph: Neo4jGraph, redis_client: redis.Redis
) -> None:
    service = service_for(workspace, graph, redis_client)
    first, uploaded = service.upload("code")
    module = workspace.code_root / "fl_code_probe" / "__init__.py"

    os.utime(module)
    touched, touched_uploaded = service.upload("code")
    module.write_text('VALUE = "code v2"\n')
    changed, changed_uploaded = service.upload("code")

    assert uploaded is True
    assert touched_uploaded is False
    assert touched["version"] == first["version"]
    assert changed_uploaded is True
    assert changed["version"] != first["version"]


def test_concurrent_uploads_store_once(
    workspace: Workspace, graph: Neo4jGraph, redis_client: redis.Redis
) -> None:
    puts: list[str] = []

    class CountingStore(LocalStore):
        def put(self, local_file: Path, location: str) -> None:
            puts.append(location)
            time.sleep(0.3)
            super().put(local_file, location)

    service = DependencyService(
        workspace.settings,
        ArchiveRepository(graph),
        redis_client,
        CountingStore(workspace.store),
    )
    results: list[tuple[Any, bool]] = []
    threads = [
        threading.Thread(target=lambda: results.append(service.upload("code")))
        for _ in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(puts) == 1
    assert [uploaded for _, uploaded in results].count(True) == 1
    assert len({record["version"] for record, _ in results}) == 1


def test_spark_job_links_archives(workspace: Workspace, scope: TrackingScope) -> None:
    app = create_app(workspace.settings)
    api = app.test_client()
    dsl, conf = hetero_lr_example(scope.namespace)
    conf["job_parameters"] = {"common": {"computing_engine": "SPARK"}}
    spark_job, local_job = scope.job_id("spark"), scope.job_id("local")

    api.post(
        "/v1/job/submit", json={"dsl": dsl, "runtime_conf": conf, "job_id": spark_job}
    )
    conf["job_parameters"] = {"common": {"computing_engine": "STANDALONE"}}
    api.post(
        "/v1/job/submit", json={"dsl": dsl, "runtime_conf": conf, "job_id": local_job}
    )
    spark_check = api.post(
        "/v1/dependency/check", json={"job_id": spark_job}
    ).get_json()
    local_check = api.post(
        "/v1/dependency/check", json={"job_id": local_job}
    ).get_json()
    listed = api.post("/v1/dependency/query", json={}).get_json()

    assert spark_check["retcode"] == 0, spark_check
    assert sorted(a["type"] for a in spark_check["data"]["archives"]) == ["code", "env"]
    assert all(a["stored"] for a in spark_check["data"]["archives"])
    assert "--archives" in spark_check["data"]["spark_submit_args"]
    assert local_check["data"]["archives"] == []
    assert "PYSPARK_PYTHON" in local_check["data"]["requirements"]
    assert {a["type"] for a in listed["data"]["archives"]} >= {"code", "env"}


def test_upload_streams_progress(workspace: Workspace) -> None:
    api = create_app(workspace.settings).test_client()

    streamed = api.post(
        "/v1/dependency/upload",
        json={"type": "code"},
        headers={"Accept": "application/x-ndjson"},
    )
    lines = [json.loads(line) for line in streamed.get_data(as_text=True).splitlines()]
    again = api.post("/v1/dependency/upload", json={"type": "code"}).get_json()

    assert streamed.mimetype == "application/x-ndjson"
    assert lines[0]["progress"]["type"] == "code"
    assert lines[-2]["progress"]["done"] == lines[-2]["progress"]["total"]
    assert lines[-1]["retcode"] == 0
    assert lines[-1]["data"]["archives"][0]["uploaded"] is True
    assert again["data"]["archives"][0]["uploaded"] is False


def test_archives_stay_with_their_source(
    workspace: Workspace, graph: Neo4jGraph, redis_client: redis.Redis, tmp_path: Path
) -> None:
    other_root = tmp_path / "other" / "python"
    (other_root / "otherpkg").mkdir(parents=True)
    (other_root / "otherpkg" / "__init__.py").write_text("VALUE = 1\n")
    other_settings = dataclasses.replace(
        workspace.settings,
        dependency=dataclasses.replace(
            workspace.settings.dependency,
            code_roots=(str(other_root),),
            store=(tmp_path / "store two").as_uri(),
        ),
    )
    first = service_for(workspace, graph, redis_client)
    second = DependencyService(other_settings, ArchiveRepository(graph), redis_client)

    mine = first.current("code")
    theirs = second.current("code")
    again = first.current("code")

    assert theirs["version"] != mine["version"]
    assert "store%20two" in theirs["path"]
    assert (tmp_path / "store two").is_dir()
    assert again["version"] == mine["version"]
    assert again["path"] == mine["path"]


def test_truncated_archive_is_uploaded_again(
    workspace: Workspace, graph: Neo4jGraph, redis_client: redis.Redis
) -> None:
    service = service_for(workspace, graph, redis_client)
    record, _ = service.upload("code")
    stored = Path(unquote(urlsplit(record["path"]).path))
    stored.write_bytes(b"")

    repaired, uploaded = service.upload("code")

    assert uploaded is True
    assert stored.stat().st_size == record["size"]
    assert repaired["version"] == record["version"]


def test_long_upload_keeps_its_lock(
    workspace: Workspace,
    graph: Neo4jGraph,
    redis_client: redis.Redis,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("fate_lineage.distribution.service.LOCK_LEASE_SECONDS", 1)
    puts: list[str] = []

    class SlowStore(LocalStore):
        def put(self, local_file: Path, location: str) -> None:
            puts.append(location)
            time.sleep(2.5)
            super().put(local_file, location)

    service = DependencyService(
        workspace.settings,
        ArchiveRepository(graph),
        redis_client,
        SlowStore(workspace.store),
    )
    results: list[bool] = []
    threads = [
        threading.Thread(target=lambda: results.append(service.upload("code")[1]))
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(puts) == 1
    assert sorted(results) == [False, False, True]
