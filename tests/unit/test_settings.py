from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from fate_lineage.conf import load_settings
from fate_lineage.conf.settings import default_conf_path, redact_url
from fate_lineage.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Callable

    from fate_lineage.conf import Settings

PACKAGED = default_conf_path()


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "service_conf.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_packaged_file_loads() -> None:
    settings = load_settings(PACKAGED, environ={})

    assert settings.service.http_port == 9380
    assert settings.default_computing_engine == "STANDALONE"
    assert settings.dependent_distribution is False
    assert set(settings.engines) == {"STANDALONE", "EGGROLL", "SPARK"}
    assert settings.engines["SPARK"].nodes == 2


@pytest.mark.parametrize(
    ("variable", "value", "read"),
    [
        ("FATE_LINEAGE__FATEFLOW__HTTP_PORT", "9390", lambda s: s.service.http_port),
        ("FATE_LINEAGE__NEO4J__PASSWORD", "s3cret", lambda s: s.neo4j.password),
        (
            "FATE_LINEAGE__DEPENDENT_DISTRIBUTION",
            "true",
            lambda s: s.dependent_distribution,
        ),
        (
            "FATE_LINEAGE__FATE_ON_SPARK__SPARK__NODES",
            "5",
            lambda s: s.engines["SPARK"].nodes,
        ),
        (
            "FATE_LINEAGE__REDIS__SOCKET_TIMEOUT",
            "0.5",
            lambda s: s.redis.socket_timeout,
        ),
    ],
    ids=["port", "password", "distribution", "spark-nodes", "redis-timeout"],
)
def test_environment_overrides_key(
    variable: str, value: str, read: Callable[[Settings], object]
) -> None:
    settings = load_settings(PACKAGED, environ={variable: value})

    assert str(read(settings)).lower() == value


def test_override_of_wrong_type_names_key_and_variable() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(PACKAGED, environ={"FATE_LINEAGE__FATEFLOW__HTTP_PORT": "abc"})

    message = caught.value.message
    assert "fateflow.http_port" in message
    assert "'abc'" in message
    assert "FATE_LINEAGE__FATEFLOW__HTTP_PORT" in message
    assert str(PACKAGED) in message


@pytest.mark.parametrize(
    "variable",
    [
        "FATE_LINEAGE__NEO4J__URIX",
        "FATE_LINEAGE__FATEFLOW__HTTP_PROT",
        "FATE_LINEAGE__BOGUS__X",
        "FATE_LINEAGE__FATEFLOW___HTTP_PORT",
        "FATE_LINEAGE__FATEFLOW__GRPC_PORT",
    ],
)
def test_override_of_unknown_key_is_rejected(variable: str) -> None:
    with pytest.raises(ConfigError, match="does not exist") as caught:
        load_settings(PACKAGED, environ={variable: "1"})

    assert variable in caught.value.message


@pytest.mark.parametrize(
    "password", ["12345678", "yes", "#secret", "2024-01-01", "0123"]
)
def test_override_keeps_password_as_written(password: str) -> None:
    environ = {"FATE_LINEAGE__NEO4J__PASSWORD": password}

    assert load_settings(PACKAGED, environ=environ).neo4j.password == password


@pytest.mark.parametrize("value", ["9380.7", "2.9e3", "true", " "])
def test_override_rejects_non_whole_port(value: str) -> None:
    environ = {"FATE_LINEAGE__FATEFLOW__HTTP_PORT": value}

    with pytest.raises(ConfigError, match=r"fateflow\.http_port: Not a valid integer"):
        load_settings(PACKAGED, environ=environ)


def test_fractional_nodes_in_file_are_rejected(tmp_path: Path) -> None:
    text = PACKAGED.read_text(encoding="utf-8").replace("nodes: 2", "nodes: 2.9")

    with pytest.raises(ConfigError, match=r"fate_on_spark\.spark\.nodes"):
        load_settings(write(tmp_path, text), environ={})


def test_error_hides_password(tmp_path: Path) -> None:
    text = PACKAGED.read_text(encoding="utf-8").replace(
        "password: fate-lineage-local", "password: 12345678"
    )

    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, text), environ={})

    assert "12345678" not in caught.value.message
    assert (
        "neo4j.password: Not a string; put the password in quotes"
        in caught.value.message
    )


def test_error_hides_url_credentials() -> None:
    environ = {"FATE_LINEAGE__REDIS__URL": "tcp://user:topsecret@127.0.0.1:6379"}

    with pytest.raises(ConfigError) as caught:
        load_settings(PACKAGED, environ=environ)

    assert "topsecret" not in caught.value.message
    assert "tcp://***@127.0.0.1:6379" in caught.value.message


def test_blank_host_is_rejected() -> None:
    environ = {"FATE_LINEAGE__FATEFLOW__HOST": " "}

    with pytest.raises(
        ConfigError, match=r"fateflow\.host: must not be empty or blank"
    ):
        load_settings(PACKAGED, environ=environ)


def test_missing_file_names_path(tmp_path: Path) -> None:
    missing = tmp_path / "absent.yaml"

    with pytest.raises(ConfigError, match="cannot read the settings file") as caught:
        load_settings(missing, environ={})

    assert str(missing) in caught.value.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("fateflow: [", "not valid YAML"),
        ("- a list\n", "top level must be a mapping"),
        ("", "the file is empty"),
    ],
    ids=["broken-yaml", "list", "empty"],
)
def test_malformed_file_is_rejected(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError, match=expected):
        load_settings(write(tmp_path, text), environ={})


def test_missing_section_is_named(tmp_path: Path) -> None:
    text = PACKAGED.read_text(encoding="utf-8").replace("redis:", "redis_old:")

    with pytest.raises(ConfigError, match="redis: Missing data for required field"):
        load_settings(write(tmp_path, text), environ={})


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("http_port: 9380", "http_port: 70000", "fateflow.http_port"),
        ("computing: standalone", "computing: flink", "default_engines.computing"),
        ("cores_per_node: 16", "cores_per_node: 0", "fate_on_eggroll.clustermanager"),
        ("uri: bolt://", "uri: http://", "neo4j.uri"),
        ("url: redis://", "url: tcp://", "redis.url"),
    ],
    ids=["port-range", "engine", "cores", "neo4j-scheme", "redis-scheme"],
)
def test_invalid_value_is_named(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    text = PACKAGED.read_text(encoding="utf-8").replace(old, new)

    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, text), environ={})

    assert expected in caught.value.message


def test_fate_flow_only_keys_are_ignored(tmp_path: Path) -> None:
    # Keys a FATE Flow 1.7 service_conf.yaml carries beside ours.
    fate_keys = """
use_registry: false
fateflow:
  host: 127.0.0.1
  http_port: 9380
  grpc_port: 9360
  proxy: rollsite
fate_on_eggroll:
  clustermanager:
    cores_per_node: 16
    nodes: 1
  rollsite:
    host: 127.0.0.1
    port: 9370
"""
    base = PACKAGED.read_text(encoding="utf-8")
    merged = fate_keys + "\n" + _drop_sections(base, {"fateflow", "fate_on_eggroll"})

    settings = load_settings(write(tmp_path, merged), environ={})

    assert settings.engines["EGGROLL"].cores_per_node == 16
    assert settings.engines["EGGROLL"].memory_per_node == 0


def _drop_sections(text: str, names: set[str]) -> str:
    kept, skipping = [], False
    for line in text.splitlines():
        if line and not line[0].isspace() and not line.startswith("#"):
            skipping = line.split(":")[0] in names
        if not skipping:
            kept.append(line)
    return "\n".join(kept) + "\n"


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        (
            "NEO4J__URI",
            "bolt://neo4j:LeakedPw1@127.0.0.1:7687",
            "must not contain a user",
        ),
        ("NEO4J__URI", "bolt://127.0.0.1:99999", "port from 1 to 65535"),
        ("NEO4J__URI", "bolt://127.0.0.1:7687x", "port from 1 to 65535"),
        ("REDIS__URL", "redis://127.0.0.1:0/0", "port from 1 to 65535"),
        ("REDIS__URL", "REDIS//:s3cretpw@127.0.0.1:6379", "must start with"),
    ],
    ids=[
        "neo4j-credentials",
        "neo4j-port-range",
        "neo4j-port-text",
        "redis-port-0",
        "typo",
    ],
)
def test_invalid_url_is_rejected_without_secret(
    variable: str, value: str, expected: str
) -> None:
    environ = {f"FATE_LINEAGE__{variable}": value}

    with pytest.raises(ConfigError, match=expected) as caught:
        load_settings(PACKAGED, environ=environ)

    for secret in ("LeakedPw1", "s3cretpw"):
        assert secret not in caught.value.message


@pytest.mark.parametrize(
    ("replacement", "expected"),
    [
        ("  password: @Sup3rSecretPw", r"not valid YAML: .* at line \d+"),
        ("  password: x\n  pasword: Sup3rSecretPw", r"neo4j\.pasword: Unknown field"),
    ],
    ids=["yaml-error-line", "misspelled-key"],
)
def test_error_hides_secret_in_file(
    tmp_path: Path, replacement: str, expected: str
) -> None:
    text = PACKAGED.read_text(encoding="utf-8").replace(
        "  password: fate-lineage-local", replacement
    )

    with pytest.raises(ConfigError, match=expected) as caught:
        load_settings(write(tmp_path, text), environ={})

    assert "Sup3rSecretPw" not in caught.value.message


def test_non_utf8_file_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "service_conf.yaml"
    path.write_bytes(PACKAGED.read_bytes() + b"# caf\xe9\n")

    with pytest.raises(ConfigError, match="not UTF-8 text"):
        load_settings(path, environ={})


@pytest.mark.parametrize(
    ("url", "redacted"),
    [
        ("redis://:pw@127.0.0.1:6379/0", "redis://***@127.0.0.1:6379/0"),
        ("REDIS://:pw@host:6379", "REDIS://***@host:6379"),
        ("http://:s3c@retpw@host", "http://***@host"),
        ("redis//:pw@host", "***@host"),
        ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
    ],
)
def test_redact_url(url: str, redacted: str) -> None:
    assert redact_url(url) == redacted


@pytest.mark.parametrize("value", ["٩٣٨١", "9380.0"])
def test_port_must_be_ascii_integer(tmp_path: Path, value: str) -> None:
    text = PACKAGED.read_text(encoding="utf-8").replace(
        "http_port: 9380", f"http_port: {value}"
    )

    with pytest.raises(ConfigError, match=r"fateflow\.http_port: Not a valid integer"):
        load_settings(write(tmp_path, text), environ={})
