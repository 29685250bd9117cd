"""Signed requests and key permissions against the stack's Neo4j and Redis.

Each test builds an app whose settings configure three keys: ``admin`` with
full access, ``reader`` limited to queries, and ``guest`` limited to party
9999 and the test's own table namespace. Nonces go to a Redis key namespace
of the test's own, deleted afterwards.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests

from fate_lineage.api.app import create_app
from fate_lineage.conf import ApiClient, AuthenticationSettings
from fate_lineage.resources.connection import open_redis
from fate_lineage.signing import signed_headers
from tests.integration.conftest import (
    free_port,
    hetero_lr_example,
    run_flow,
)

if TYPE_CHECKING:
    from flask.testing import FlaskClient
    from werkzeug.test import TestResponse

    from fate_lineage.conf import Settings
    from tests.integration.conftest import TrackingScope

# Random per run, so that finding one in a log file means it leaked there.
SECRETS = {name: f"{name}-{uuid.uuid4().hex}" for name in ("admin", "reader", "guest")}
OPEN_PATHS = ("/healthz", "/readyz", "/metrics", "/swagger.json", "/docs/")


def auth_settings(settings: Settings, scope: TrackingScope) -> Settings:
    clients = (
        ApiClient("admin", SECRETS["admin"]),
        ApiClient("reader", SECRETS["reader"], read_only=True),
        ApiClient(
            "guest",
            SECRETS["guest"],
            party_ids=("9999",),
            table_namespaces=(scope.namespace,),
        ),
    )
    return dataclasses.replace(
        settings,
        authentication=AuthenticationSettings(60.0, clients),
        resource_manager=dataclasses.replace(
            settings.resource_manager, key_namespace=f"test_{scope.token}"
        ),
    )


def delete_redis_namespace(settings: Settings, namespace: str) -> None:
    client = open_redis(settings.redis)
    keys = list(client.scan_iter(match=f"{namespace}:*", count=1000))
    if keys:
        client.delete(*keys)


@pytest.fixture
def signed_client(settings: Settings, scope: TrackingScope) -> Iterator[FlaskClient]:
    app = create_app(auth_settings(settings, scope))
    app.extensions["fate_lineage"].resources.register_engines()
    yield app.test_client()
    delete_redis_namespace(settings, f"test_{scope.token}")


def post(
    client: FlaskClient,
    path: str,
    body: Any,
    app_key: str = "admin",
    secret_key: str | None = None,
    **changes: Any,
) -> TestResponse:
    """POST ``body`` signed by ``app_key``; ``changes`` replace header values."""
    data = json.dumps(body).encode()
    secret = secret_key if secret_key is not None else SECRETS.get(app_key, "none")
    headers = signed_headers(app_key, secret, path, data, **changes)
    return client.post(
        path, data=data, headers={**headers, "Content-Type": "application/json"}
    )


def test_unsigned_request_is_401(signed_client: FlaskClient) -> None:
    reply = signed_client.post("/v1/table/list", json={"namespace_prefix": "x"})

    assert reply.status_code == 401
    assert reply.json is not None
    assert reply.json["retcode"] == 109
    assert reply.json["retmsg"].startswith(
        "the request is not signed: headers TIMESTAMP, NONCE, APP_KEY, SIGNATURE "
        "are missing"
    )
    assert reply.json["data"] is None
    assert reply.headers["WWW-Authenticate"] == (
        'FATE-Signature headers="TIMESTAMP NONCE APP_KEY SIGNATURE"'
    )


def test_one_missing_header_is_named(signed_client: FlaskClient) -> None:
    data = b"{}"
    headers = signed_headers("admin", SECRETS["admin"], "/v1/resource/query", data)
    del headers["NONCE"]

    reply = signed_client.post("/v1/resource/query", data=data, headers=headers)

    assert reply.status_code == 401
    assert reply.json is not None
    assert "header NONCE is missing" in reply.json["retmsg"]


def test_unknown_route_unsigned_is_401(signed_client: FlaskClient) -> None:
    reply = signed_client.post("/v1/no/such/endpoint", json={})

    assert reply.status_code == 401


def test_wrong_secret_is_401(signed_client: FlaskClient) -> None:
    reply = post(signed_client, "/v1/resource/query", {}, secret_key="wrong")

    assert reply.status_code == 401
    assert reply.json is not None
    assert reply.json["retmsg"].startswith("invalid SIGNATURE for APP_KEY 'admin'")
    assert SECRETS["admin"] not in reply.get_data(as_text=True)


def test_body_changed_after_signing_is_401(signed_client: FlaskClient) -> None:
    path = "/v1/table/list"
    headers = signed_headers(
        "admin", SECRETS["admin"], path, b'{"namespace_prefix":"a"}'
    )

    reply = signed_client.post(path, data=b'{"namespace_prefix":"b"}', headers=headers)

    assert reply.status_code == 401
    assert reply.json is not None
    assert "invalid SIGNATURE" in reply.json["retmsg"]


@pytest.mark.parametrize("offset_ms", [-61_000, 61_000], ids=["past", "future"])
def test_stale_timestamp_is_401(signed_client: FlaskClient, offset_ms: int) -> None:
    now_ms = time.time_ns() // 1_000_000
    reply = post(signed_client, "/v1/resource/query", {}, now_ms=now_ms + offset_ms)

    assert reply.status_code == 401
    assert reply.json is not None
    assert "the request is stale" in reply.json["retmsg"]
    assert "more than the 60 s allowed" in reply.json["retmsg"]


def test_invalid_timestamp_is_401(signed_client: FlaskClient) -> None:
    data = b"{}"
    headers = signed_headers("admin", SECRETS["admin"], "/v1/resource/query", data)
    headers["TIMESTAMP"] = "yesterday"

    reply = signed_client.post("/v1/resource/query", data=data, headers=headers)

    assert reply.status_code == 401
    assert reply.json is not None
    assert reply.json["retmsg"].startswith("invalid TIMESTAMP 'yesterday'")


def test_replayed_nonce_is_401(signed_client: FlaskClient) -> None:
    data = b"{}"
    headers = signed_headers("admin", SECRETS["admin"], "/v1/resource/query", data)

    first = signed_client.post("/v1/resource/query", data=data, headers=headers)
    second = signed_client.post("/v1/resource/query", data=data, headers=headers)

    assert first.status_code == 200
    assert second.status_code == 401
    assert second.json is not None
    assert "this request is a replay" in second.json["retmsg"]
    assert headers["NONCE"] in second.json["retmsg"]


def test_unknown_key_is_401(signed_client: FlaskClient) -> None:
    reply = post(signed_client, "/v1/resource/query", {}, app_key="stranger")

    assert reply.status_code == 401
    assert reply.json is not None
    assert reply.json["retmsg"].startswith("unknown APP_KEY 'stranger'")


@pytest.mark.parametrize("path", OPEN_PATHS)
def test_open_paths_need_no_signature(signed_client: FlaskClient, path: str) -> None:
    reply = signed_client.get(path)

    assert reply.status_code == 200, reply.get_data(as_text=True)[:300]


def test_reader_gets_403_on_write(
    signed_client: FlaskClient, scope: TrackingScope
) -> None:
    body = {"table_name": "t", "namespace": scope.namespace, "head": 1}

    reply = post(signed_client, "/v1/data/upload", body, app_key="reader")
    listed = post(
        signed_client,
        "/v1/table/list",
        {"namespace_prefix": scope.namespace},
        app_key="reader",
    )

    assert reply.status_code == 403
    assert reply.json is not None
    assert reply.json["retcode"] == 108
    assert "WWW-Authenticate" not in reply.headers
    assert reply.json["retmsg"].startswith(
        "APP_KEY 'reader' is read-only and may not call /v1/data/upload"
    )
    assert listed.status_code == 200
    assert listed.json is not None
    assert listed.json["data"]["count"] == 0


def test_reader_gets_200_on_read(
    signed_client: FlaskClient, scope: TrackingScope
) -> None:
    upload = {"table_name": "t", "namespace": scope.namespace, "head": 1}
    written = post(signed_client, "/v1/data/upload", upload)
    table = {"table_name": "t", "namespace": scope.namespace}

    reply = post(signed_client, "/v1/table/table_info", table, app_key="reader")
    source = post(signed_client, "/v1/table/tracking/source", table, app_key="reader")

    assert written.status_code == 200
    assert reply.status_code == 200
    assert reply.json is not None
    assert reply.json["data"]["name"] == "t"
    assert source.status_code == 200


def submit(client: FlaskClient, scope: TrackingScope, suffix: str, party: str) -> str:
    """Submit the hetero-LR example with ``party`` as guest; return the job id."""
    dsl, conf = hetero_lr_example(scope.namespace)
    conf = json.loads(json.dumps(conf).replace("9999", party))
    job_id = scope.job_id(suffix)
    body = {"dsl": dsl, "runtime_conf": conf, "job_id": job_id}
    reply = post(client, "/v1/job/submit", body)
    assert reply.status_code == 200, reply.json
    return job_id


@pytest.fixture
def two_jobs(signed_client: FlaskClient, scope: TrackingScope) -> tuple[str, str]:
    """Submit one job with guest 9999 and one with guest 8888, and simulate both."""
    own = submit(signed_client, scope, "own", "9999")
    other = submit(signed_client, scope, "other", "8888")
    for job_id in (own, other):
        reply = post(signed_client, "/v1/job/simulate", {"job_id": job_id})
        assert reply.status_code == 200, reply.json
    return own, other


def test_party_key_reads_own_job(
    signed_client: FlaskClient, two_jobs: tuple[str, str]
) -> None:
    own, _ = two_jobs

    reply = post(signed_client, "/v1/job/query", {"job_id": own}, app_key="guest")

    assert reply.status_code == 200
    assert reply.json is not None
    assert reply.json["data"][0]["job_id"] == own


def test_party_key_gets_403_on_other_job(
    signed_client: FlaskClient, two_jobs: tuple[str, str]
) -> None:
    _, other = two_jobs

    reply = post(signed_client, "/v1/job/query", {"job_id": other}, app_key="guest")
    unknown = post(
        signed_client, "/v1/job/query", {"job_id": other + "x"}, app_key="guest"
    )

    assert reply.status_code == 403
    assert reply.json is not None
    assert reply.json["retcode"] == 108
    assert reply.json["retmsg"] == (
        f"APP_KEY 'guest' is limited to party 9999, and job {other!r} is not "
        "found among that party's jobs; ask a key of one of the job's parties"
    )
    assert unknown.status_code == 403


def test_party_key_checks_party_id(
    signed_client: FlaskClient, two_jobs: tuple[str, str]
) -> None:
    own, _ = two_jobs
    path = "/v1/tracking/component/output/data/table"
    task = {"job_id": own, "component_name": "hetero_lr_0", "role": "guest"}

    reply = post(signed_client, path, {**task, "party_id": 9999}, app_key="guest")
    host = post(
        signed_client,
        path,
        {**task, "role": "host", "party_id": 10000},
        app_key="guest",
    )

    assert reply.status_code == 200
    assert reply.json is not None
    assert len(reply.json["data"]) == 1
    assert host.status_code == 403
    assert host.json is not None
    assert "party_id '10000' is another party" in host.json["retmsg"]


def test_party_key_reads_own_output_tables(
    signed_client: FlaskClient, two_jobs: tuple[str, str]
) -> None:
    own, other = two_jobs
    own_table = output_table(signed_client, own)
    other_table = output_table(signed_client, other)

    reply = post(signed_client, "/v1/table/tracking/source", own_table, app_key="guest")
    denied = post(
        signed_client, "/v1/table/tracking/source", other_table, app_key="guest"
    )

    assert reply.status_code == 200
    assert denied.status_code == 403
    assert denied.json is not None
    assert "nor an output namespace of its jobs" in denied.json["retmsg"]


def output_table(client: FlaskClient, job_id: str) -> dict[str, str]:
    """Return the guest's hetero_lr_0 output table of a simulated job."""
    task = {
        "job_id": job_id,
        "component_name": "hetero_lr_0",
        "role": "guest",
        "party_id": "9999" if job_id.endswith("own") else "8888",
    }
    reply = post(client, "/v1/tracking/component/output/data/table", task)
    assert reply.json is not None
    item = reply.json["data"][0]
    return {"table_name": item["table_name"], "namespace": item["table_namespace"]}


def test_party_key_limited_to_namespaces(
    signed_client: FlaskClient, scope: TrackingScope
) -> None:
    own = {"namespace_prefix": scope.namespace}
    other = {"namespace_prefix": "experiment"}

    listed = post(signed_client, "/v1/table/list", own, app_key="guest")
    denied = post(signed_client, "/v1/table/list", other, app_key="guest")

    assert listed.status_code == 200
    assert denied.status_code == 403
    assert denied.json is not None
    assert denied.json["retmsg"] == (
        "APP_KEY 'guest' is limited to party 9999, and namespace_prefix "
        f"'experiment' is not one of its table namespaces (prefixes: "
        f"{scope.namespace}) nor an output namespace of its jobs"
    )


def test_party_key_submits_only_own_jobs(
    signed_client: FlaskClient, scope: TrackingScope
) -> None:
    dsl, conf = hetero_lr_example(scope.namespace)
    other_conf = json.loads(json.dumps(conf).replace("9999", "8888"))
    own = {"dsl": dsl, "runtime_conf": conf, "job_id": scope.job_id("guest")}
    other = {"dsl": dsl, "runtime_conf": other_conf, "job_id": scope.job_id("no")}

    accepted = post(signed_client, "/v1/job/submit", own, app_key="guest")
    denied = post(signed_client, "/v1/job/submit", other, app_key="guest")

    assert accepted.status_code == 200
    assert denied.status_code == 403
    assert denied.json is not None
    assert (
        "the job's initiator party, '8888', is another party" in (denied.json["retmsg"])
    )


def test_party_key_gets_403_on_service_wide(signed_client: FlaskClient) -> None:
    reply = post(signed_client, "/v1/resource/query", {}, app_key="guest")

    assert reply.status_code == 403
    assert reply.json is not None
    assert "may not call /v1/resource/query" in reply.json["retmsg"]


def test_party_key_invalid_json_is_400(signed_client: FlaskClient) -> None:
    path = "/v1/job/query"
    data = b'{"job_id": '
    headers = signed_headers("guest", SECRETS["guest"], path, data)

    reply = signed_client.post(path, data=data, headers=headers)
    listed = post(signed_client, path, ["job_id"], app_key="guest")

    assert reply.status_code == 400
    assert reply.json is not None
    assert reply.json["retmsg"].startswith("the request body is not valid JSON")
    assert listed.status_code == 403
    assert listed.json is not None
    assert "must name its job in job_id" in listed.json["retmsg"]


def test_redis_down_gives_503(settings: Settings, scope: TrackingScope) -> None:
    down = dataclasses.replace(settings.redis, url=f"redis://127.0.0.1:{free_port()}/0")
    client = create_app(
        dataclasses.replace(auth_settings(settings, scope), redis=down)
    ).test_client()

    reply = post(client, "/v1/table/list", {"namespace_prefix": scope.namespace})
    unsigned = client.post("/v1/table/list", json={"namespace_prefix": "x"})

    assert reply.status_code == 503
    assert reply.json is not None
    assert reply.json["retcode"] == 105
    assert reply.json["retmsg"].startswith("redis is unavailable")
    assert unsigned.status_code == 401


@pytest.fixture
def signed_api(
    settings: Settings, tmp_path: Path, scope: TrackingScope
) -> Iterator[tuple[int, Path]]:
    """Run a gunicorn of this test's own with keys; yield its port and log folder."""
    port = free_port()
    clients = [
        {"app_key": "admin", "secret_key": SECRETS["admin"]},
        {"app_key": "reader", "secret_key": SECRETS["reader"], "read_only": True},
    ]
    environ = {
        **os.environ,
        "FATE_LINEAGE__FATEFLOW__HTTP_PORT": str(port),
        "FATE_LINEAGE__RESOURCE_MANAGER__KEY_NAMESPACE": f"test_{scope.token}",
        "FATE_LINEAGE__AUTHENTICATION__CLIENTS": json.dumps(clients),
    }
    master = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "--config",
            "python:fate_lineage.api.gunicorn_conf",
            "--control-socket",
            str(tmp_path / "gunicorn.ctl"),
            "--error-logfile",
            str(tmp_path / "error.log"),
            "--access-logfile",
            str(tmp_path / "access.log"),
            "fate_lineage.api.app:create_app()",
        ],
        env=environ,
    )
    deadline = time.monotonic() + 30
    while not _answers(port):
        if time.monotonic() > deadline or master.poll() is not None:
            master.kill()
            pytest.fail(f"own gunicorn did not start: {_logs(tmp_path)}")
        time.sleep(0.2)
    yield port, tmp_path
    master.send_signal(signal.SIGTERM)
    master.wait(timeout=60)
    delete_redis_namespace(settings, f"test_{scope.token}")


def _answers(port: int) -> bool:
    try:
        reply = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
    except requests.RequestException:
        return False
    return reply.status_code == 200


def _logs(folder: Path) -> str:
    return "".join(
        path.read_text(encoding="utf-8", errors="replace")
        for path in sorted(folder.glob("*.log"))
    )


def test_flow_signs_against_gunicorn(
    signed_api: tuple[int, Path], flow_env: dict[str, str], scope: TrackingScope
) -> None:
    port, log_folder = signed_api
    address = ["--ip", "127.0.0.1", "--port", str(port)]
    upload = scope.namespace

    unsigned_code, unsigned = run_flow(flow_env, "init", *address)
    refused_code, refused = run_flow(
        flow_env, "table", "list", "--namespace-prefix", upload
    )
    init_code, init = run_flow(
        flow_env,
        "init",
        *address,
        "--app-key",
        "admin",
        "--secret-key",
        SECRETS["admin"],
    )
    list_code, listed = run_flow(
        flow_env, "table", "list", "--namespace-prefix", upload
    )
    ready_code, ready = run_flow(flow_env, "server", "ready")
    run_flow(
        flow_env,
        "init",
        *address,
        "--app-key",
        "reader",
        "--secret-key",
        SECRETS["reader"],
    )
    write_code, write = run_flow(flow_env, "resource", "reap")
    read_code, _ = run_flow(flow_env, "table", "list", "--namespace-prefix", upload)

    assert unsigned_code == 0
    assert unsigned["retcode"] == 0
    assert refused_code == 1
    assert refused["retcode"] == 109
    assert init_code == 0
    assert SECRETS["admin"] not in json.dumps(init)
    assert list_code == 0, listed
    assert listed["retcode"] == 0
    assert ready_code == 0, ready
    assert write_code == 1
    assert write["retcode"] == 108
    assert read_code == 0

    logs = _logs(log_folder)
    assert "failed with Unauthenticated" in logs
    assert "failed with Forbidden" in logs
    for secret in SECRETS.values():
        assert secret not in logs
