from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import CliRunner

from fate_lineage.cli import http
from fate_lineage.cli.config import Credentials, ServerAddress, load_address
from fate_lineage.cli.main import flow
from fate_lineage.signing import signature_matches, signing_message

SECRET = "do-not-print-this-secret"
INIT = ["init", "--ip", "127.0.0.1", "--port", "9380"]


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("FATE_LINEAGE_FLOW_CONFIG", str(tmp_path / "flow.json"))
    for variable in ("IP", "PORT", "APP_KEY", "SECRET_KEY"):
        monkeypatch.delenv(f"FATE_LINEAGE_FLOW_{variable}", raising=False)
    return CliRunner()


def test_init_stores_key_pair(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(flow, [*INIT, "--app-key", "guest", "--secret-key", SECRET])
    stored_file = tmp_path / "flow.json"
    stored = json.loads(stored_file.read_text(encoding="utf-8"))

    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["data"] == {
        "ip": "127.0.0.1",
        "port": 9380,
        "app_key": "guest",
    }
    assert SECRET not in result.output
    assert stored["app_key"] == "guest"
    assert stored["secret_key"] == SECRET
    assert stat.S_IMODE(stored_file.stat().st_mode) == 0o600


def test_init_tightens_existing_file(runner: CliRunner, tmp_path: Path) -> None:
    stored_file = tmp_path / "flow.json"
    stored_file.write_text("{}", encoding="utf-8")
    stored_file.chmod(0o644)

    result = runner.invoke(flow, [*INIT, "--app-key", "guest", "--secret-key", SECRET])

    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(stored_file.stat().st_mode) == 0o600


def test_init_without_keys_removes_them(runner: CliRunner, tmp_path: Path) -> None:
    runner.invoke(flow, [*INIT, "--app-key", "guest", "--secret-key", SECRET])
    result = runner.invoke(flow, INIT)
    stored = json.loads((tmp_path / "flow.json").read_text(encoding="utf-8"))

    assert result.exit_code == 0, result.output
    assert stored == {"ip": "127.0.0.1", "port": 9380}
    assert load_address().credentials is None


@pytest.mark.parametrize(
    "keys",
    [["--app-key", "guest"], ["--secret-key", SECRET]],
    ids=["app-key-only", "secret-key-only"],
)
def test_init_rejects_half_pair(runner: CliRunner, keys: list[str]) -> None:
    result = runner.invoke(flow, [*INIT, *keys])

    assert result.exit_code == 2
    assert "give both --app-key and --secret-key" in result.output
    assert SECRET not in result.output


def test_init_reads_keys_from_service_conf(runner: CliRunner, tmp_path: Path) -> None:
    conf = tmp_path / "service_conf.yaml"
    conf.write_text(
        "fateflow:\n  host: 127.0.0.1\n  http_port: 9380\n"
        f"  http_app_key: admin\n  http_secret_key: {SECRET}\n",
        encoding="utf-8",
    )

    result = runner.invoke(flow, ["init", "-c", str(conf)])

    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["data"]["app_key"] == "admin"
    assert load_address().credentials == Credentials("admin", SECRET)


def test_environment_overrides_key_pair(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner.invoke(flow, [*INIT, "--app-key", "guest", "--secret-key", SECRET])
    monkeypatch.setenv("FATE_LINEAGE_FLOW_APP_KEY", "host")
    monkeypatch.setenv("FATE_LINEAGE_FLOW_SECRET_KEY", "other-secret")

    assert load_address().credentials == Credentials("host", "other-secret")


@pytest.mark.parametrize(
    "stored",
    [[], ["--app-key", "guest", "--secret-key", SECRET]],
    ids=["nothing-stored", "pair-stored"],
)
def test_environment_half_pair_is_rejected(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, stored: list[str]
) -> None:
    runner.invoke(flow, [*INIT, *stored])
    monkeypatch.setenv("FATE_LINEAGE_FLOW_APP_KEY", "host")

    result = runner.invoke(flow, ["resource", "query"])

    assert result.exit_code == 2
    assert "only one of FATE_LINEAGE_FLOW_APP_KEY" in result.output


def test_credentials_repr_hides_secret() -> None:
    assert SECRET not in repr(Credentials("guest", SECRET))


class Recorder:
    """Stand-in for requests.request and requests.post that keeps each call."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        self.calls.append({"method": method, "url": url, **kwargs})
        response = requests.Response()
        response.status_code = 200
        response._content = b'{"retcode": 0, "retmsg": "success", "data": null}'
        return response

    def post(self, url: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", url, **kwargs)


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    fake = Recorder()
    monkeypatch.setattr(requests, "request", fake.request)
    monkeypatch.setattr(requests, "post", fake.post)
    return fake


SIGNED = ServerAddress("127.0.0.1", 9380, Credentials("guest", SECRET))


def assert_signed(call: dict[str, Any], path: str) -> None:
    headers = call["headers"]
    message = signing_message(
        headers["TIMESTAMP"], headers["NONCE"], "guest", path, call["data"] or b""
    )

    assert headers["APP_KEY"] == "guest"
    assert signature_matches(SECRET, message, headers["SIGNATURE"])
    assert SECRET not in json.dumps({k: str(v) for k, v in call.items()})


def test_call_signs_body_it_sends(recorder: Recorder) -> None:
    reply = http.call(SIGNED, "POST", "/v1/job/query", {"job_id": "j\u00e9"})

    assert reply["retcode"] == 0
    assert recorder.calls[0]["data"] == b'{"job_id": "j\\u00e9"}'
    assert recorder.calls[0]["headers"]["Content-Type"] == "application/json"
    assert_signed(recorder.calls[0], "/v1/job/query")


def test_call_signs_request_without_body(recorder: Recorder) -> None:
    http.call(SIGNED, "GET", "/readyz")

    assert recorder.calls[0]["data"] is None
    assert_signed(recorder.calls[0], "/readyz")


def test_stream_lines_signs_request(recorder: Recorder) -> None:
    list(http.stream_lines(SIGNED, "/v1/dependency/upload", {"type": "code"}))

    assert recorder.calls[0]["headers"]["Accept"] == "application/x-ndjson"
    assert_signed(recorder.calls[0], "/v1/dependency/upload")


def test_call_without_keys_is_unsigned(recorder: Recorder) -> None:
    http.call(ServerAddress("127.0.0.1", 9380), "POST", "/v1/job/query", {})

    assert "SIGNATURE" not in recorder.calls[0]["headers"]
    assert recorder.calls[0]["data"] == b"{}"


def test_call_rejects_nan_body(recorder: Recorder) -> None:
    reply = http.call(SIGNED, "POST", "/v1/job/query", {"x": float("nan")})

    assert reply["retcode"] == 100
    assert "request to http://127.0.0.1:9380/v1/job/query failed" in reply["retmsg"]
    assert recorder.calls == []
