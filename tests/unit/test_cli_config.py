from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from fate_lineage.cli.config import load_address
from fate_lineage.cli.main import flow
from fate_lineage.conf.settings import default_conf_path


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("FATE_LINEAGE_FLOW_CONFIG", str(tmp_path / "flow.json"))
    monkeypatch.delenv("FATE_LINEAGE_FLOW_IP", raising=False)
    monkeypatch.delenv("FATE_LINEAGE_FLOW_PORT", raising=False)
    return CliRunner()


def test_init_stores_address(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(flow, ["init", "--ip", "127.0.0.1", "--port", "9380"])
    reply = json.loads(result.output)

    assert result.exit_code == 0
    assert reply["retcode"] == 0
    assert reply["data"] == {"ip": "127.0.0.1", "port": 9380}
    stored = json.loads((tmp_path / "flow.json").read_text(encoding="utf-8"))
    assert stored == {"ip": "127.0.0.1", "port": 9380}


def test_init_output_has_indent_four(runner: CliRunner) -> None:
    result = runner.invoke(flow, ["init", "--ip", "127.0.0.1", "--port", "9380"])

    assert result.output.startswith('{\n    "retcode": 0,')


def test_init_reads_service_conf(runner: CliRunner) -> None:
    result = runner.invoke(flow, ["init", "-c", str(default_conf_path())])

    assert result.exit_code == 0
    assert json.loads(result.output)["data"] == {"ip": "127.0.0.1", "port": 9380}


@pytest.mark.parametrize("port", ["0", "70000", "http"])
def test_init_rejects_invalid_port(runner: CliRunner, port: str) -> None:
    result = runner.invoke(flow, ["init", "--ip", "127.0.0.1", "--port", port])

    assert result.exit_code == 2
    assert f"invalid port {port!r}" in result.output


def test_init_without_address_is_usage_error(runner: CliRunner) -> None:
    result = runner.invoke(flow, ["init", "--ip", "127.0.0.1"])

    assert result.exit_code == 2
    assert "give both --ip and --port" in result.output


def test_command_without_init_says_how(runner: CliRunner) -> None:
    result = runner.invoke(flow, ["server", "ready"])

    assert result.exit_code == 2
    assert "did you run flow init?" in result.output


def test_environment_overrides_stored_port(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner.invoke(flow, ["init", "--ip", "127.0.0.1", "--port", "9380"])
    monkeypatch.setenv("FATE_LINEAGE_FLOW_PORT", "9391")

    assert load_address().port == 9391


def test_corrupt_config_file_says_how(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "flow.json").write_text("{not json", encoding="utf-8")

    result = runner.invoke(flow, ["server", "ready"])

    assert result.exit_code == 2
    assert "Run `flow init` again" in result.output


@pytest.mark.parametrize("ip", ["bad host", "127.0.0.1:9380", "http://127.0.0.1", ""])
def test_init_rejects_invalid_ip(runner: CliRunner, ip: str) -> None:
    result = runner.invoke(flow, ["init", "--ip", ip, "--port", "9380"])

    assert result.exit_code == 2
    assert "--ip" in result.output or "give both" in result.output


@pytest.mark.parametrize("ip", ["::1", "localhost", "flow.example.org"])
def test_init_accepts_host_forms(runner: CliRunner, ip: str) -> None:
    result = runner.invoke(flow, ["init", "--ip", ip, "--port", "9380"])

    assert result.exit_code == 0
    assert load_address().ip == ip


def test_ipv6_address_is_bracketed(runner: CliRunner) -> None:
    runner.invoke(flow, ["init", "--ip", "::1", "--port", "9380"])

    assert load_address().base_url == "http://[::1]:9380"


def test_init_reports_unwritable_config(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FATE_LINEAGE_FLOW_CONFIG", str(tmp_path))

    result = runner.invoke(flow, ["init", "--ip", "127.0.0.1", "--port", "9380"])

    assert result.exit_code == 2
    assert f"cannot write {tmp_path}" in result.output
    assert "FATE_LINEAGE_FLOW_CONFIG" in result.output


@pytest.mark.parametrize("port", [99999, 0])
def test_bad_stored_port_names_file(
    runner: CliRunner, tmp_path: Path, port: int
) -> None:
    config = tmp_path / "flow.json"
    config.write_text(f'{{"ip": "127.0.0.1", "port": {port}}}', encoding="utf-8")

    result = runner.invoke(flow, ["server", "ready"])

    assert result.exit_code == 2
    assert f"invalid port {port} in {config}" in result.output


def test_init_rejects_conf_with_ip(runner: CliRunner) -> None:
    args = ["init", "-c", str(default_conf_path()), "--ip", "127.0.0.1"]

    result = runner.invoke(flow, args)

    assert result.exit_code == 2
    assert "either -c SERVICE_CONF_PATH or --ip and --port" in result.output


def test_init_reports_broken_service_conf(runner: CliRunner, tmp_path: Path) -> None:
    broken = tmp_path / "service_conf.yaml"
    broken.write_text("fateflow: [", encoding="utf-8")

    result = runner.invoke(flow, ["init", "-c", str(broken)])

    assert result.exit_code == 2
    assert f"cannot read {broken}" in result.output
    assert "object at 0x" not in result.output


def test_init_rejects_invalid_ipv4(runner: CliRunner) -> None:
    result = runner.invoke(flow, ["init", "--ip", "999.1.1.1", "--port", "9380"])

    assert result.exit_code == 2
    assert "invalid server address '999.1.1.1' in --ip" in result.output
