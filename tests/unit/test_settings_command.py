"""``python -m fate_lineage.conf get KEY``, which the local stack reads."""

from __future__ import annotations

import os

import pytest

from fate_lineage.conf.__main__ import main


@pytest.fixture(autouse=True)
def packaged_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Read the packaged file alone, whatever overrides the shell sets."""
    monkeypatch.delenv("FATE_LINEAGE_CONF", raising=False)
    for name in list(os.environ):
        if name.startswith("FATE_LINEAGE__"):
            monkeypatch.delenv(name)


@pytest.mark.parametrize(
    ("key", "printed"),
    [
        ("neo4j.uri", "bolt://127.0.0.1:7687"),
        ("fateflow.http_port", "9380"),
        ("redis.url", "redis://127.0.0.1:6379/0"),
        ("dependent_distribution", "False"),
    ],
)
def test_get_prints_value(
    capsys: pytest.CaptureFixture[str], key: str, printed: str
) -> None:
    assert main(["get", key]) == 0
    assert capsys.readouterr().out == printed + "\n"


def test_get_applies_override(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FATE_LINEAGE__NEO4J__PASSWORD", "from-env")

    assert main(["get", "neo4j.password"]) == 0
    assert capsys.readouterr().out == "from-env\n"


@pytest.mark.parametrize("key", ["neo4j.nope", "nope", "neo4j.uri.deeper"])
def test_get_unknown_key_fails(capsys: pytest.CaptureFixture[str], key: str) -> None:
    assert main(["get", key]) == 2
    assert f"unknown setting {key!r}" in capsys.readouterr().err


def test_invalid_settings_fail(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FATE_LINEAGE__FATEFLOW__HTTP_PORT", "abc")

    assert main(["get", "fateflow.http_port"]) == 1
    assert "fateflow.http_port: Not a valid integer" in capsys.readouterr().err


def test_usage_without_get(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show"]) == 2
    assert "usage:" in capsys.readouterr().err
