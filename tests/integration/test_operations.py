"""/metrics, request ids and JSON logs, under Flask's test client and gunicorn."""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import redis
import requests
from prometheus_client.parser import text_string_to_metric_families

from fate_lineage.api.app import create_app
from fate_lineage.api.logs import JsonFormatter, RequestIdFilter
from fate_lineage.api.metrics import count_ingest
from fate_lineage.api.metrics_dir import METRICS_DIR_VARIABLE
from fate_lineage.resources.accounting import engine_row
from fate_lineage.resources.manager import ResourceStore
from tests.integration.conftest import free_port, hetero_lr_example

if TYPE_CHECKING:
    from flask.testing import FlaskClient

    from fate_lineage.conf import Settings
    from tests.integration.conftest import TrackingScope

REQUESTS = "fate_lineage_http_requests_total"
DURATION_COUNT = "fate_lineage_http_request_duration_seconds_count"
NEW_ID = re.compile(r"[0-9a-f]{32}")

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    found: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def scrape(client: FlaskClient) -> Samples:
    reply = client.get("/metrics")
    assert reply.status_code == 200
    return parse(reply.get_data(as_text=True))


def test_metrics_label_route_templates(client: FlaskClient) -> None:
    before = scrape(client)

    client.get("/swaggerui/swagger-ui.css")
    client.get("/swaggerui/swagger-ui-bundle.js")
    client.get("/no/such/path/a")
    client.get("/no/such/path/b")
    reply = client.get("/metrics")
    text = reply.get_data(as_text=True)
    after = parse(text)

    template = "/swaggerui/<path:filename>"
    assert reply.content_type.startswith("text/plain; version=")
    assert value(after, REQUESTS, endpoint=template, method="GET", status="200") == (
        value(before, REQUESTS, endpoint=template, method="GET", status="200") + 2
    )
    unmatched = {"endpoint": "unmatched", "method": "GET", "status": "404"}
    assert (
        value(after, REQUESTS, **unmatched) == value(before, REQUESTS, **unmatched) + 2
    )
    assert "swagger-ui.css" not in text
    assert "/no/such/path" not in text


def test_metrics_time_every_request(client: FlaskClient) -> None:
    before = scrape(client)

    for _ in range(3):
        client.get("/healthz")
    after = scrape(client)

    labels = {"endpoint": "/healthz", "method": "GET"}
    assert value(after, DURATION_COUNT, **labels) == (
        value(before, DURATION_COUNT, **labels) + 3
    )
    assert value(after, "fate_lineage_http_request_duration_seconds_sum", **labels) > 0


def test_metrics_clamp_unknown_methods(client: FlaskClient) -> None:
    before = scrape(client)

    client.open("/healthz", method="BREW")
    after = scrape(client)

    # Routing fails on the method, so no route template is known.
    labels = {"endpoint": "unmatched", "method": "other", "status": "405"}
    assert value(after, REQUESTS, **labels) == value(before, REQUESTS, **labels) + 1


def test_metrics_engine_gauges_match_redis(
    client: FlaskClient, settings: Settings, redis_client: redis.Redis
) -> None:
    samples = scrape(client)

    store = ResourceStore(redis_client, settings.resource_manager.key_namespace)
    assert value(samples, "fate_lineage_engine_read_success") == 1
    for name in settings.engines:
        figures = engine_row(name, store.engine(name))
        assert value(samples, "fate_lineage_engine_registered", engine=name) == 1
        assert (
            value(samples, "fate_lineage_engine_cores", engine=name)
            == (figures["f_cores"])
        )
        assert (
            value(samples, "fate_lineage_engine_memory_megabytes", engine=name)
            == (figures["f_memory"])
        )


def test_metrics_survive_redis_outage(
    client: FlaskClient, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    down = replace(settings.redis, url=f"redis://127.0.0.1:{free_port()}/0")
    broken = create_app(replace(settings, redis=down)).test_client()
    # A healthy scrape first, before capturing, so the outage starts here.
    scrape(client)
    caplog.set_level(logging.INFO, logger="fate_lineage.api.metrics")

    broken.get("/healthz")
    first = broken.get("/metrics")
    second = broken.get("/metrics")
    scrape(client)
    samples = parse(second.get_data(as_text=True))

    assert first.status_code == 200
    assert second.status_code == 200
    assert value(samples, "fate_lineage_engine_read_success") == 0
    assert not any(name.startswith("fate_lineage_engine_cores") for name, _ in samples)
    labels = {"endpoint": "/healthz", "method": "GET", "status": "200"}
    assert value(samples, REQUESTS, **labels) >= 1
    messages = [entry.getMessage() for entry in caplog.records]
    failures = [text for text in messages if "reading the engines" in text]
    assert len(failures) == 2, messages
    assert "failed" in failures[0]
    assert "works again" in failures[1]


def test_metrics_count_ingest(client: FlaskClient) -> None:
    labels = {"event_type": "COMPLETE", "outcome": "recorded"}
    before = scrape(client)

    count_ingest("COMPLETE", "recorded", 3)
    after = scrape(client)

    name = "fate_lineage_openlineage_events_total"
    assert value(after, name, **labels) == value(before, name, **labels) + 3


def test_metrics_not_in_openapi(client: FlaskClient) -> None:
    reply = client.get("/swagger.json")

    assert reply.status_code == 200
    assert "/metrics" not in reply.get_json()["paths"]


def test_request_id_kept_or_generated(client: FlaskClient) -> None:
    kept = client.get("/healthz", headers={"X-Request-Id": "trace:42.a_b-c"})
    replaced = client.get("/healthz", headers={"X-Request-Id": "x" * 129})
    first = client.get("/healthz")
    second = client.get("/no/such/path")

    assert kept.headers["X-Request-Id"] == "trace:42.a_b-c"
    assert NEW_ID.fullmatch(replaced.headers["X-Request-Id"])
    assert NEW_ID.fullmatch(first.headers["X-Request-Id"])
    assert NEW_ID.fullmatch(second.headers["X-Request-Id"])
    assert first.headers["X-Request-Id"] != second.headers["X-Request-Id"]


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def test_request_id_in_log_lines(client: FlaskClient) -> None:
    handler = Lines()
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("fate_lineage")
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        client.post(
            "/v1/resource/query",
            json={"engine_name": "NOPE"},
            headers={"X-Request-Id": "log-check-1"},
        )
        logging.getLogger("fate_lineage.test").info("after the request")
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)

    entries = [json.loads(line) for line in handler.lines]
    failed = [
        entry for entry in entries if "no computing engine NOPE" in entry["message"]
    ]
    assert len(failed) == 1
    assert failed[0]["request_id"] == "log-check-1"
    assert failed[0]["logger"] == "fate_lineage.api.errors"
    assert entries[-1]["message"] == "after the request"
    assert entries[-1]["request_id"] is None


@dataclass
class OwnApi:
    """A gunicorn of this module's own, with its logs and Redis namespace."""

    url: str
    master: subprocess.Popen[bytes]
    folder: Path
    namespace: str

    def error_lines(self) -> list[str]:
        return (self.folder / "error.log").read_text().splitlines()

    def access_lines(self) -> list[str]:
        return (self.folder / "access.log").read_text().splitlines()

    def scrape(self) -> Samples:
        reply = requests.get(self.url + "/metrics", timeout=10)
        assert reply.status_code == 200
        return parse(reply.text)


def start_gunicorn(folder: Path, **overrides: str) -> OwnApi:
    """Start gunicorn with 2 workers on a free port and wait for /healthz."""
    namespace = f"test_{uuid.uuid4().hex[:12]}"
    port = free_port()
    environ = {
        **{k: v for k, v in os.environ.items() if k != METRICS_DIR_VARIABLE},
        "FATE_LINEAGE__FATEFLOW__HTTP_PORT": str(port),
        "FATE_LINEAGE__RESOURCE_MANAGER__KEY_NAMESPACE": namespace,
        **overrides,
    }
    gunicorn = Path(sys.executable).parent / "gunicorn"
    master = subprocess.Popen(
        [
            str(gunicorn),
            "--config",
            "python:fate_lineage.api.gunicorn_conf",
            "--control-socket",
            str(folder / "gunicorn.ctl"),
            "--error-logfile",
            str(folder / "error.log"),
            "--access-logfile",
            str(folder / "access.log"),
            "fate_lineage.api.app:create_app()",
        ],
        env=environ,
    )
    api = OwnApi(f"http://127.0.0.1:{port}", master, folder, namespace)
    deadline = time.monotonic() + 30
    while not _answers(api.url):
        if time.monotonic() > deadline or master.poll() is not None:
            master.kill()
            pytest.fail(f"own gunicorn did not start: {api.error_lines()[-20:]}")
        time.sleep(0.2)
    return api


def stop_gunicorn(api: OwnApi, redis_client: redis.Redis) -> None:
    api.master.send_signal(signal.SIGTERM)
    api.master.wait(timeout=60)
    keys = list(redis_client.scan_iter(match=f"{api.namespace}:*", count=1000))
    if keys:
        redis_client.delete(*keys)


def _answers(url: str) -> bool:
    try:
        return requests.get(url + "/healthz", timeout=1).status_code == 200
    except requests.RequestException:
        return False


def _workers(master_pid: int) -> set[int]:
    listed = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(master_pid)],
        capture_output=True,
        text=True,
        check=True,
    )
    return {int(line) for line in listed.stdout.split()}


@pytest.fixture(scope="module")
def json_api(
    tmp_path_factory: pytest.TempPathFactory, redis_client: redis.Redis
) -> Iterator[OwnApi]:
    api = start_gunicorn(
        tmp_path_factory.mktemp("json_api"), FATE_LINEAGE__LOGGING__FORMAT="json"
    )
    yield api
    stop_gunicorn(api, redis_client)


def test_gunicorn_metrics_outlive_workers(json_api: OwnApi) -> None:
    labels = {"endpoint": "/healthz", "method": "GET", "status": "200"}
    before = value(json_api.scrape(), REQUESTS, **labels)

    for _ in range(20):
        headers = {"Connection": "close"}
        reply = requests.get(json_api.url + "/healthz", headers=headers, timeout=10)
        assert reply.status_code == 200
    counted = value(json_api.scrape(), REQUESTS, **labels)
    old_workers = _workers(json_api.master.pid)
    for pid in old_workers:
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while len(_workers(json_api.master.pid) - old_workers) < 2:
        assert time.monotonic() < deadline, "gunicorn started no new workers"
        time.sleep(0.2)
    # Only new workers are left, and none of them served the requests above.
    after_restart = value(json_api.scrape(), REQUESTS, **labels)

    assert len(old_workers) == 2
    assert counted == before + 20
    assert after_restart == counted


def test_gunicorn_engine_gauges_follow_apply(
    json_api: OwnApi, scope: TrackingScope
) -> None:
    dsl, conf = hetero_lr_example(scope.namespace)
    job_id = scope.job_id()
    body = {"dsl": dsl, "runtime_conf": conf, "job_id": job_id}
    submitted = requests.post(json_api.url + "/v1/job/submit", json=body, timeout=30)
    assert submitted.status_code == 200
    before = json_api.scrape()

    applied = requests.post(
        json_api.url + "/v1/resource/apply", json={"job_id": job_id}, timeout=30
    )
    after = json_api.scrape()

    data: dict[str, Any] = applied.json()["data"]
    engine = data["engine_name"]
    total = value(before, "fate_lineage_engine_cores", engine=engine)
    assert applied.status_code == 200
    assert data["cores"] > 0
    assert value(before, "fate_lineage_engine_remaining_cores", engine=engine) == total
    assert value(after, "fate_lineage_engine_remaining_cores", engine=engine) == (
        total - data["cores"]
    )
    assert (
        value(after, "fate_lineage_engine_remaining_cores", engine=engine)
        == (data["remaining_cores"])
    )
    assert value(after, "fate_lineage_engine_read_success") == 1


def test_gunicorn_json_logs_carry_request_id(
    json_api: OwnApi, scope: TrackingScope
) -> None:
    dsl, conf = hetero_lr_example(scope.namespace)
    job_id = scope.job_id()
    body = {"dsl": dsl, "runtime_conf": conf, "job_id": job_id}
    request_id = f"json-{scope.token}"
    requests.post(json_api.url + "/v1/job/submit", json=body, timeout=30)

    applied = requests.post(
        json_api.url + "/v1/resource/apply",
        json={"job_id": job_id},
        headers={"X-Request-Id": request_id},
        timeout=30,
    )
    # gunicorn writes the access line after the response has been sent.
    deadline = time.monotonic() + 10
    while not any(request_id in line for line in json_api.access_lines()):
        assert time.monotonic() < deadline, "no access line for the request"
        time.sleep(0.1)

    errors = [json.loads(line) for line in json_api.error_lines()]
    accesses = [json.loads(line) for line in json_api.access_lines()]
    mine = [entry for entry in errors if entry["request_id"] == request_id]
    access = [entry for entry in accesses if entry["request_id"] == request_id]
    assert applied.headers["X-Request-Id"] == request_id
    data = applied.json()["data"]
    expected = (
        f"job {job_id} applied {data['cores']} cores and 0 MB on {data['engine_name']}"
    )
    applied_lines = [entry for entry in mine if entry["message"] == expected]
    assert len(applied_lines) == 1, mine
    assert applied_lines[0]["logger"] == "fate_lineage.resources.accounting"
    assert applied_lines[0]["level"] == "INFO"
    assert len(access) == 1
    assert access[0]["logger"] == "gunicorn.access"
    assert '"POST /v1/resource/apply HTTP/1.1" 200' in access[0]["message"]
    assert any(entry["message"].startswith("Booting worker") for entry in errors)


def test_gunicorn_text_logs_carry_request_id(
    tmp_path: Path, redis_client: redis.Redis
) -> None:
    metrics_folder = tmp_path / "metrics"
    metrics_folder.mkdir()
    (metrics_folder / "counter_1.db").write_bytes(b"stale")
    api = start_gunicorn(tmp_path, PROMETHEUS_MULTIPROC_DIR=str(metrics_folder))
    try:
        reply = requests.post(
            api.url + "/v1/resource/query",
            json={"engine_name": "NOPE"},
            headers={"X-Request-Id": "text-check-1"},
            timeout=10,
        )
        deadline = time.monotonic() + 10
        while not any("text-check-1" in line for line in api.access_lines()):
            assert time.monotonic() < deadline, "no access line for the request"
            time.sleep(0.1)
        files = sorted(path.name for path in metrics_folder.iterdir())
    finally:
        stop_gunicorn(api, redis_client)

    failed = [line for line in api.error_lines() if "no computing engine NOPE" in line]
    access = [line for line in api.access_lines() if "/v1/resource/query" in line]
    assert reply.status_code == 404
    assert len(failed) == 1
    assert "] [INFO] [text-check-1] POST /v1/resource/query failed" in failed[0]
    assert len(access) == 1
    assert '"POST /v1/resource/query HTTP/1.1" 404 ' in access[0]
    assert access[0].endswith(" text-check-1")
    assert "counter_1.db" not in files
    assert any(name.startswith("counter_") for name in files)
    assert metrics_folder.is_dir()
