"""Resource accounting on the stack's real Redis and Neo4j.

Each test keeps its Redis keys under a namespace of its own and deletes them
afterwards, so it never touches the running service's engines.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import redis

from fate_lineage.api.app import create_app
from fate_lineage.resources.connection import open_redis
from fate_lineage.resources.demand import engine_totals
from fate_lineage.resources.manager import ResourceStore
from tests.integration.conftest import free_port, hetero_lr_example, start_redis_server

if TYPE_CHECKING:
    from flask import Flask
    from flask.testing import FlaskClient

    from fate_lineage.conf import Settings
    from tests.integration.conftest import TrackingScope


def resource_settings(settings: Settings, namespace: str, **manager: Any) -> Settings:
    return dataclasses.replace(
        settings,
        resource_manager=dataclasses.replace(
            settings.resource_manager, key_namespace=namespace, **manager
        ),
    )


@dataclasses.dataclass
class Service:
    app: Flask
    client: FlaskClient
    scope: TrackingScope

    def post(self, path: str, body: Any) -> tuple[int, dict[str, Any]]:
        response = self.client.post(path, json=body)
        return response.status_code, response.get_json()

    def ok(self, path: str, body: Any) -> Any:
        status, reply = self.post(path, body)
        assert status == 200, reply
        assert reply["retcode"] == 0, reply
        return reply["data"]

    def submit(self, suffix: str, **job_parameters: Any) -> str:
        """Submit the hetero-LR example under a test job id; return the id."""
        dsl, conf = hetero_lr_example(self.scope.namespace)
        if job_parameters:
            conf["job_parameters"] = {"common": job_parameters}
        job_id = self.scope.job_id(suffix)
        self.ok("/v1/job/submit", {"dsl": dsl, "runtime_conf": conf, "job_id": job_id})
        return job_id

    def remaining(self) -> int:
        data = self.ok("/v1/resource/query", {})
        return int(data["computing_engine_resource"]["f_remaining_cores"])


def delete_namespace(client: redis.Redis, namespace: str) -> None:
    keys = list(client.scan_iter(match=f"{namespace}:*", count=1000))
    if keys:
        client.delete(*keys)


@pytest.fixture
def service(
    settings: Settings, redis_client: redis.Redis, scope: TrackingScope
) -> Iterator[Service]:
    namespace = f"test_{scope.token}"
    app = create_app(resource_settings(settings, namespace, lease_seconds=1.0))
    app.extensions["fate_lineage"].resources.register_engines()
    yield Service(app, app.test_client(), scope)
    delete_namespace(redis_client, namespace)


def test_apply_query_return_twice(service: Service) -> None:
    job_id = service.submit("lr")

    applied = service.ok("/v1/resource/apply", {"job_id": job_id})
    again_status, again = service.post("/v1/resource/apply", {"job_id": job_id})
    query = service.ok("/v1/resource/query", {})
    returned = service.ok("/v1/resource/return", {"job_id": job_id})
    second = service.ok("/v1/resource/return", {"job_id": job_id})
    engine = service.ok("/v1/resource/query", {})["computing_engine_resource"]

    assert applied["cores"] == 8
    assert [p["cores"] for p in applied["parties"]] == [0, 4, 4]
    assert again_status == 200
    assert "nothing changed" in again["retmsg"]
    assert query["computing_engine_resource"]["f_remaining_cores"] == 12
    assert {(j["role"], j["core"]) for j in query["use_resource_job"]} == {
        ("arbiter", 0),
        ("guest", 4),
        ("host", 4),
    }
    assert {item["resource_in_use"] for item in returned} == {True}
    assert {item["resource_return_status"] for item in returned} == {True}
    assert {item["resource_in_use"] for item in second} == {False}
    assert {item["resource_return_status"] for item in second} == {False}
    assert engine["f_remaining_cores"] == engine["f_cores"] == 20


def test_unknown_and_missing_job(service: Service) -> None:
    unknown_status, unknown = service.post("/v1/resource/return", {"job_id": "nope"})
    missing_status, missing = service.post("/v1/resource/return", {})

    assert unknown_status == 404
    assert unknown["retcode"] == 100
    assert "no found job nope" in unknown["retmsg"]
    assert missing_status == 400
    assert missing["retcode"] == 101
    assert "job_id" in missing["retmsg"]


def test_not_enough_now_is_409(service: Service) -> None:
    first = service.submit("big1", task_cores=8)
    second = service.submit("big2", task_cores=8)
    service.ok("/v1/resource/apply", {"job_id": first})

    status, reply = service.post("/v1/resource/apply", {"job_id": second})

    assert status == 409
    assert reply["retcode"] == 103
    assert reply["data"]["requested_cores"] == 16
    assert reply["data"]["remaining_cores"] == 4
    assert [p["cores"] for p in reply["data"]["requested"]] == [0, 8, 8]
    assert service.remaining() == 4


def test_never_fits_rejected_at_submit(service: Service) -> None:
    dsl, conf = hetero_lr_example(service.scope.namespace)
    conf["job_parameters"] = {"common": {"task_cores": 16}}

    status, reply = service.post(
        "/v1/job/submit",
        {"dsl": dsl, "runtime_conf": conf, "job_id": service.scope.job_id("huge")},
    )
    job = service.post("/v1/job/query", {"job_id": service.scope.job_id("huge")})

    assert status == 400
    assert reply["retcode"] == 101
    assert "32" in reply["retmsg"]
    assert "task_cores" in reply["retmsg"]
    assert "cores_per_node" in reply["retmsg"]
    assert job[0] == 404


def test_running_job_needs_force(service: Service) -> None:
    job_id = service.submit("run")
    service.ok("/v1/resource/apply", {"job_id": job_id})
    service.ok("/v1/job/update", {"job_id": job_id, "status": "running"})

    status, reply = service.post("/v1/resource/return", {"job_id": job_id})
    forced = service.post("/v1/resource/return", {"job_id": job_id, "force": True})

    assert status == 409
    assert "--force" in reply["retmsg"]
    assert forced[0] == 200
    assert "still running" in forced[1]["retmsg"]
    assert service.remaining() == 20


def test_end_status_returns_at_once(service: Service) -> None:
    job_id = service.submit("end")
    service.ok("/v1/resource/apply", {"job_id": job_id})
    service.ok("/v1/job/update", {"job_id": job_id, "status": "running"})

    service.ok("/v1/job/update", {"job_id": job_id, "status": "failed"})
    job = service.ok("/v1/job/query", {"job_id": job_id})[0]

    assert service.remaining() == 20
    assert job["resource_status"] == "returned"
    assert [e.split()[1] for e in job["resource_events"]] == ["applied", "returned"]


def test_expired_lease_is_reaped(service: Service) -> None:
    kept = service.submit("kept")
    lost = service.submit("lost")
    service.ok("/v1/resource/apply", {"job_id": kept})
    service.ok("/v1/resource/apply", {"job_id": lost})

    time.sleep(0.6)
    renewed = service.ok("/v1/resource/heartbeat", {"job_id": kept})
    time.sleep(0.6)
    reaped = service.ok("/v1/resource/reap", {})
    job = service.ok("/v1/job/query", {"job_id": lost})[0]
    late_status, late = service.post("/v1/resource/heartbeat", {"job_id": lost})

    assert renewed["renewed"] is True
    assert reaped["reaped"] == [lost]
    assert service.remaining() == 12
    assert job["resource_status"] == "reaped"
    assert late_status == 409
    assert "returned or reaped" in late["retmsg"]


def test_reaper_drops_entries_without_job(
    service: Service, redis_client: redis.Redis
) -> None:
    store = service.app.extensions["fate_lineage"].resources.store
    ghosts = {f"ghost{index}": 0 for index in range(150)}
    redis_client.zadd(store.keys.leases, ghosts)
    job_id = service.submit("real")
    service.ok("/v1/resource/apply", {"job_id": job_id})
    time.sleep(1.1)

    first = service.ok("/v1/resource/reap", {})
    second = service.ok("/v1/resource/reap", {})

    assert first["reaped"] == []
    assert second["reaped"] == [job_id]
    assert redis_client.zcard(store.keys.leases) == 0


def test_lost_engine_is_registered_again(
    service: Service, redis_client: redis.Redis
) -> None:
    store = service.app.extensions["fate_lineage"].resources.store
    redis_client.delete(store.keys.engine("STANDALONE"))
    job_id = service.submit("after_flush")

    applied = service.ok("/v1/resource/apply", {"job_id": job_id})

    assert applied["applied"] is True
    assert service.remaining() == 12


def test_running_job_holding_nothing_returns(service: Service) -> None:
    job_id = service.submit("idle")
    service.ok("/v1/job/update", {"job_id": job_id, "status": "running"})

    items = service.ok("/v1/resource/return", {"job_id": job_id})

    assert {item["resource_return_status"] for item in items} == {False}


def test_tasks_share_party_allotment(service: Service) -> None:
    job_id = service.submit("tasks")
    task = {"job_id": job_id, "role": "guest", "party_id": "9999"}
    early_status, _ = service.post(
        "/v1/resource/task/apply", {**task, "component_name": "reader_0"}
    )
    service.ok("/v1/resource/apply", {"job_id": job_id})

    first = service.ok(
        "/v1/resource/task/apply", {**task, "component_name": "reader_0"}
    )
    full_status, full = service.post(
        "/v1/resource/task/apply", {**task, "component_name": "data_transform_0"}
    )
    back = service.ok(
        "/v1/resource/task/return", {**task, "component_name": "reader_0"}
    )
    second = service.ok(
        "/v1/resource/task/apply", {**task, "component_name": "data_transform_0"}
    )

    assert early_status == 409
    assert first["cores"] == 4
    assert first["free_cores"] == 0
    assert full_status == 409
    assert full["retcode"] == 103
    assert back["returned"] is True
    assert second["applied"] is True
    assert service.remaining() == 12


def test_resize_shifts_remaining(
    settings: Settings, redis_client: redis.Redis, scope: TrackingScope
) -> None:
    namespace = f"test_{scope.token}"
    store = ResourceStore(redis_client, namespace)
    defaults = settings.job_defaults
    nodes = settings.engines["STANDALONE"]
    try:
        store.register_engine(engine_totals("STANDALONE", nodes, defaults), 1)
        store.client.hset(store.keys.engine("STANDALONE"), "remaining_cores", 12)

        smaller = dataclasses.replace(nodes, cores_per_node=10)
        shrunk = store.register_engine(
            engine_totals("STANDALONE", smaller, defaults), 2
        )
        tiny = dataclasses.replace(nodes, cores_per_node=1)
        floored = store.register_engine(engine_totals("STANDALONE", tiny, defaults), 3)
        grown = store.register_engine(engine_totals("STANDALONE", nodes, defaults), 4)
    finally:
        delete_namespace(redis_client, namespace)

    # Jobs hold 8 cores throughout: remaining stays total - 8, below zero
    # while the total is under 8, so nothing over the total is handed out.
    assert (shrunk.old_cores, shrunk.remaining_cores) == (20, 2)
    assert floored.remaining_cores == -7
    assert grown.remaining_cores == 12


def test_redis_restart_keeps_allocations(settings: Settings, tmp_path: Path) -> None:
    port = free_port()
    process = start_redis_server(tmp_path, port, appendonly=True)
    url = f"redis://127.0.0.1:{port}/0"
    totals = engine_totals(
        "STANDALONE", settings.engines["STANDALONE"], settings.job_defaults
    )
    try:
        store = ResourceStore(
            open_redis(dataclasses.replace(settings.redis, url=url)), "t"
        )
        store.register_engine(totals, 1)
        demand = _parties(("guest", "9999", 4), ("host", "10000", 4))
        store.apply("job_a", "STANDALONE", demand, 2, 10**12)
        process.terminate()
        process.wait(timeout=10)
        process = start_redis_server(tmp_path, port, appendonly=True)

        revived = ResourceStore(
            open_redis(dataclasses.replace(settings.redis, url=url)), "t"
        )
        engine = revived.engine("STANDALONE")
        held = revived.allocation("job_a")
        returned = revived.give_back("job_a", "STANDALONE", 3)
    finally:
        process.terminate()
        process.wait(timeout=10)

    assert engine["remaining_cores"] == "12"
    assert held["in_use"] == "1"
    assert held["cores"] == "8"
    assert returned.cores == 8


def _parties(*parties: tuple[str, str, int]) -> tuple[Any, ...]:
    from fate_lineage.resources.demand import PartyDemand

    return tuple(
        PartyDemand(
            role=role,
            party_id=party_id,
            cores=cores,
            memory=0,
            task_cores=cores,
            task_memory=0,
            task_cores_per_node=cores,
            task_nodes=1,
            task_parallelism=1,
        )
        for role, party_id, cores in parties
    )


def unique_namespace() -> str:
    return f"test_{uuid.uuid4().hex[:12]}"
