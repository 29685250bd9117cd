"""The resource invariant under concurrency, on the stack's real Redis.

Whatever mix of apply, return, renew and reap runs at once, from threads,
processes or API workers killed mid-request, an engine's remaining cores
stay within 0..total, and remaining plus what jobs hold equals the total.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import redis
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fate_lineage.conf import load_settings
from fate_lineage.resources.connection import open_redis
from fate_lineage.resources.demand import PartyDemand, engine_totals
from fate_lineage.resources.manager import ResourceStore
from tests.integration.conftest import free_port, hetero_lr_example

if TYPE_CHECKING:
    from fate_lineage.conf import Settings
    from tests.integration.conftest import TrackingScope

ENGINE = "STANDALONE"
JOBS = [f"job{index}" for index in range(6)]
OPERATIONS = ("apply", "return", "renew", "reap")


def assert_invariant(store: ResourceStore) -> None:
    engine = store.engine(ENGINE)
    total, remaining = int(engine["total_cores"]), int(engine["remaining_cores"])
    held = sum(int(job["cores"]) for job in store.jobs_in_use())

    assert 0 <= remaining <= total
    assert remaining + held == total, f"remaining {remaining} + held {held}"


def new_store(namespace: str) -> ResourceStore:
    conf = load_settings()
    store = ResourceStore(open_redis(conf.redis), namespace)
    totals = engine_totals(ENGINE, conf.engines[ENGINE], conf.job_defaults)
    store.register_engine(totals, 1)
    return store


def demand(cores: int) -> tuple[PartyDemand, ...]:
    half = cores // 2
    return tuple(
        PartyDemand(role, party_id, share, 0, share, 0, share, 1, 1)
        for role, party_id, share in (
            ("guest", "9", half),
            ("host", "10", cores - half),
        )
    )


def run(store: ResourceStore, operation: str, job_id: str, cores: int) -> None:
    now = time.time_ns() // 1_000_000
    if operation == "apply":
        # Odd core counts get a lease that has expired already, for the reaper.
        expiry = now - 1 if cores % 2 else now + 60_000
        store.apply(job_id, ENGINE, demand(cores), now, expiry)
    elif operation == "return":
        store.give_back(job_id, ENGINE, now)
    elif operation == "renew":
        store.renew(job_id, now + 60_000)
    else:
        for expired in store.expired_leases(now, 100):
            store.give_back(expired, ENGINE, now, deadline=now)


def run_all(store: ResourceStore, batch: list[tuple[str, str, int]]) -> None:
    for operation in batch:
        run(store, *operation)


def delete_namespace(namespace: str) -> None:
    client = open_redis(load_settings().redis)
    keys = list(client.scan_iter(match=f"{namespace}:*", count=1000))
    if keys:
        client.delete(*keys)


operations = st.lists(
    st.tuples(st.sampled_from(OPERATIONS), st.sampled_from(JOBS), st.integers(0, 12)),
    min_size=1,
    max_size=60,
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(batches=st.lists(operations, min_size=2, max_size=6))
def test_threads_keep_invariant(
    redis_client: redis.Redis, batches: list[list[tuple[str, str, int]]]
) -> None:
    namespace = f"test_{uuid.uuid4().hex[:12]}"
    store = new_store(namespace)
    try:
        threads = [
            threading.Thread(target=run_all, args=(store, batch)) for batch in batches
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert_invariant(store)
    finally:
        delete_namespace(namespace)


def process_worker(namespace: str, seed: int, count: int) -> int:
    store = ResourceStore(open_redis(load_settings().redis), namespace)
    chooser = random.Random(seed)
    for _ in range(count):
        run(
            store,
            chooser.choice(OPERATIONS),
            chooser.choice(JOBS),
            chooser.randint(0, 12),
        )
    return count


def test_processes_keep_invariant(redis_client: redis.Redis) -> None:
    namespace = f"test_{uuid.uuid4().hex[:12]}"
    store = new_store(namespace)
    try:
        with ProcessPoolExecutor(4, mp_context=get_context("spawn")) as pool:
            done = list(pool.map(process_worker, [namespace] * 4, range(4), [400] * 4))

        assert done == [400] * 4
        assert_invariant(store)
    finally:
        delete_namespace(namespace)


@pytest.fixture
def own_api(
    settings: Settings, tmp_path: Path, scope: TrackingScope
) -> Iterator[tuple[str, int, str]]:
    """Run a gunicorn of this test's own; yield its URL, master PID, namespace."""
    namespace = f"test_{scope.token}"
    port = free_port()
    environ = {
        **os.environ,
        "FATE_LINEAGE__FATEFLOW__HTTP_PORT": str(port),
        "FATE_LINEAGE__RESOURCE_MANAGER__KEY_NAMESPACE": namespace,
        "FATE_LINEAGE__RESOURCE_MANAGER__REAP_INTERVAL_SECONDS": "0.2",
    }
    gunicorn = Path(sys.executable).parent / "gunicorn"
    master = subprocess.Popen(
        [
            str(gunicorn),
            "--config",
            "python:fate_lineage.api.gunicorn_conf",
            "--control-socket",
            str(tmp_path / "gunicorn.ctl"),
            "--error-logfile",
            str(tmp_path / "error.log"),
            "fate_lineage.api.app:create_app()",
        ],
        env=environ,
    )
    url = f"http://{settings.service.host}:{port}"
    deadline = time.monotonic() + 30
    while not _answers(url):
        if time.monotonic() > deadline or master.poll() is not None:
            master.kill()
            pytest.fail(
                f"own gunicorn did not start: {(tmp_path / 'error.log').read_text()}"
            )
        time.sleep(0.2)
    yield url, master.pid, namespace
    master.send_signal(signal.SIGTERM)
    master.wait(timeout=60)
    delete_namespace(namespace)


def _answers(url: str) -> bool:
    try:
        return requests.get(url + "/healthz", timeout=1).status_code == 200
    except requests.RequestException:
        return False


def test_killed_worker_keeps_invariant(
    own_api: tuple[str, int, str], scope: TrackingScope
) -> None:
    url, master_pid, namespace = own_api
    session = requests.Session()
    dsl, conf = hetero_lr_example(scope.namespace)
    job_ids = [scope.job_id(str(index)) for index in range(6)]
    for job_id in job_ids:
        body = {"dsl": dsl, "runtime_conf": conf, "job_id": job_id}
        assert session.post(url + "/v1/job/submit", json=body).status_code == 200

    statuses: list[int] = []
    stop = threading.Event()

    def hammer(seed: int) -> None:
        chooser = random.Random(seed)
        client = requests.Session()
        while not stop.is_set():
            path = chooser.choice(("/v1/resource/apply", "/v1/resource/return"))
            try:
                reply = client.post(
                    url + path, json={"job_id": chooser.choice(job_ids)}, timeout=10
                )
                statuses.append(reply.status_code)
            except requests.RequestException:
                statuses.append(0)

    threads = [threading.Thread(target=hammer, args=(seed,)) for seed in range(8)]
    for thread in threads:
        thread.start()
    time.sleep(1.5)
    workers = _children(master_pid)
    os.kill(workers[0], signal.SIGKILL)
    time.sleep(2.5)
    stop.set()
    for thread in threads:
        thread.join()

    store = ResourceStore(open_redis(load_settings().redis), namespace)
    assert workers
    assert statuses.count(200) > 50
    # 0 is a request cut by the killed worker; no request may fail with 5xx.
    assert set(statuses) <= {0, 200, 409}
    assert_invariant(store)


def _children(pid: int) -> list[int]:
    listed = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(pid)],
        capture_output=True,
        text=True,
        check=True,
    )
    return [int(line) for line in listed.stdout.split()]
