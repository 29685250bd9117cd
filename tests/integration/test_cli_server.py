"""``flow`` against the API that the local stack serves under gunicorn."""

from __future__ import annotations

import socket

from fate_lineage.conf import Settings
from tests.integration.conftest import run_flow


def test_init_then_ready_against_service(
    settings: Settings, flow_env: dict[str, str]
) -> None:
    host, port = settings.service.host, str(settings.service.http_port)

    init_code, init_reply = run_flow(flow_env, "init", "--ip", host, "--port", port)
    ready_code, ready_reply = run_flow(flow_env, "server", "ready")

    assert init_code == 0
    assert init_reply["retcode"] == 0
    assert ready_code == 0, ready_reply
    assert ready_reply["retcode"] == 0
    assert ready_reply["data"]["neo4j"]["ready"] is True
    assert ready_reply["data"]["redis"]["ready"] is True


def test_refused_connection_prints_envelope(flow_env: dict[str, str]) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = str(probe.getsockname()[1])
    run_flow(flow_env, "init", "--ip", "127.0.0.1", "--port", closed_port)

    code, reply = run_flow(flow_env, "server", "ready")

    assert code == 1
    assert reply["retcode"] == 100
    assert reply["data"] is None
    assert f"cannot connect to http://127.0.0.1:{closed_port}/readyz" in reply["retmsg"]
    assert "Check that the fate-lineage service is running" in reply["retmsg"]
