from __future__ import annotations

import json
from pathlib import Path

import pytest

from fate_lineage.conf import ApiClient, load_settings
from fate_lineage.conf.settings import default_conf_path
from fate_lineage.errors import ConfigError

PACKAGED = default_conf_path()
SECRET = "do-not-show-this-secret"


def clients_variable(*clients: dict[str, object]) -> dict[str, str]:
    return {"FATE_LINEAGE__AUTHENTICATION__CLIENTS": json.dumps(list(clients))}


def test_packaged_file_has_no_keys() -> None:
    settings = load_settings(PACKAGED, environ={})

    assert settings.authentication.enabled is False
    assert settings.authentication.clients == ()
    assert settings.authentication.timestamp_window_seconds == 60


def test_fate_flow_keys_give_full_access() -> None:
    settings = load_settings(
        PACKAGED,
        environ={
            "FATE_LINEAGE__FATEFLOW__HTTP_APP_KEY": "admin",
            "FATE_LINEAGE__FATEFLOW__HTTP_SECRET_KEY": SECRET,
        },
    )

    assert settings.authentication.enabled is True
    assert settings.authentication.clients == (ApiClient("admin", SECRET),)


def test_clients_from_json_variable() -> None:
    variable = clients_variable(
        {
            "app_key": "guest-reader",
            "secret_key": SECRET,
            "read_only": True,
            "party_ids": ["9999"],
            "table_namespaces": ["experiment"],
        }
    )
    settings = load_settings(PACKAGED, environ=variable)
    client = settings.authentication.client("guest-reader")

    assert client is not None
    assert client.read_only is True
    assert client.party_ids == ("9999",)
    assert client.table_namespaces == ("experiment",)
    assert client.party_limited is True
    assert settings.authentication.client("other") is None


def test_clients_from_file(tmp_path: Path) -> None:
    text = PACKAGED.read_text(encoding="utf-8").replace(
        "  clients: []",
        "  clients:\n    - app_key: writer\n      secret_key: s3cret-writer\n",
    )
    path = tmp_path / "service_conf.yaml"
    path.write_text(text, encoding="utf-8")

    settings = load_settings(path, environ={})

    assert settings.authentication.clients == (ApiClient("writer", "s3cret-writer"),)


def test_client_repr_hides_secret() -> None:
    assert SECRET not in repr(ApiClient("admin", SECRET))


def test_app_key_without_secret_is_rejected() -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(PACKAGED, environ={"FATE_LINEAGE__FATEFLOW__HTTP_APP_KEY": "a"})

    assert "set both fateflow.http_app_key and fateflow.http_secret_key" in str(
        raised.value
    )


def test_repeated_app_key_is_rejected_without_secret() -> None:
    environ = {
        "FATE_LINEAGE__FATEFLOW__HTTP_APP_KEY": "admin",
        "FATE_LINEAGE__FATEFLOW__HTTP_SECRET_KEY": SECRET,
        **clients_variable({"app_key": "admin", "secret_key": SECRET}),
    }
    with pytest.raises(ConfigError) as raised:
        load_settings(PACKAGED, environ=environ)

    assert "app key admin is configured more than once" in str(raised.value)
    assert SECRET not in str(raised.value)


@pytest.mark.parametrize(
    ("client", "expected"),
    [
        ({"app_key": "a b", "secret_key": SECRET}, "visible ASCII"),
        ({"app_key": "a", "secret_key": " "}, "must not be empty"),
        ({"app_key": "a", "secret_key": SECRET, "party_ids": ["x"]}, "party id"),
        (
            {"app_key": "a", "secret_key": SECRET, "party_ids": ["1", "1"]},
            "more than once",
        ),
        ({"app_key": "a", "secret_key": SECRET, "role": "guest"}, "Unknown field"),
    ],
    ids=["app-key-space", "blank-secret", "party-id", "party-twice", "unknown-key"],
)
def test_invalid_client_is_rejected(client: dict[str, object], expected: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(PACKAGED, environ=clients_variable(client))

    assert expected in str(raised.value)
    assert SECRET not in str(raised.value)


def test_clients_variable_must_be_json() -> None:
    environ = {"FATE_LINEAGE__AUTHENTICATION__CLIENTS": f"app_key={SECRET}"}
    with pytest.raises(ConfigError) as raised:
        load_settings(PACKAGED, environ=environ)

    assert "JSON array" in str(raised.value)
    assert SECRET not in str(raised.value)


def test_invalid_secret_in_file_is_hidden(tmp_path: Path) -> None:
    text = PACKAGED.read_text(encoding="utf-8").replace(
        "  http_secret_key:\n", f"  http_secret_key: [{SECRET}]\n"
    )
    path = tmp_path / "service_conf.yaml"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(ConfigError) as raised:
        load_settings(path, environ={"FATE_LINEAGE__FATEFLOW__HTTP_APP_KEY": "a"})

    assert "fateflow.http_secret_key" in str(raised.value)
    assert SECRET not in str(raised.value)
