"""The server address of ``flow``: a user config file, then the environment.

``flow init`` writes ``$XDG_CONFIG_HOME/fate-lineage/flow.json`` (by default
under ``~/.config``); FATE_LINEAGE_FLOW_CONFIG names another file.
FATE_LINEAGE_FLOW_IP and FATE_LINEAGE_FLOW_PORT override what the file holds,
and FATE_LINEAGE_FLOW_APP_KEY and FATE_LINEAGE_FLOW_SECRET_KEY override the
key pair that signs requests. The file is written with mode 0600, since it
may contain a secret key.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import click

CONFIG_FILE_VARIABLE = "FATE_LINEAGE_FLOW_CONFIG"
IP_VARIABLE = "FATE_LINEAGE_FLOW_IP"
PORT_VARIABLE = "FATE_LINEAGE_FLOW_PORT"
APP_KEY_VARIABLE = "FATE_LINEAGE_FLOW_APP_KEY"
SECRET_KEY_VARIABLE = "FATE_LINEAGE_FLOW_SECRET_KEY"

# Dot-separated labels of letters, digits and hyphens (RFC 1123).
_HOST_NAME = re.compile(
    r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*"
)


@dataclass(frozen=True)
class Credentials:
    """The key pair that signs every request; the secret is never shown."""

    app_key: str
    secret_key: str = field(repr=False)


@dataclass(frozen=True)
class ServerAddress:
    ip: str
    port: int
    credentials: Credentials | None = None

    @property
    def base_url(self) -> str:
        host = f"[{self.ip}]" if ":" in self.ip else self.ip
        return f"http://{host}:{self.port}"


def config_path() -> Path:
    configured = os.environ.get(CONFIG_FILE_VARIABLE)
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "fate-lineage" / "flow.json"


def save_address(address: ServerAddress) -> Path:
    """Write the address and key pair to the user config file; return its path.

    The file is written to a temporary file of mode 0600 and renamed over the
    old one, so a secret key is never readable by other users.
    """
    path = config_path()
    stored: dict[str, object] = {"ip": address.ip, "port": address.port}
    if address.credentials is not None:
        stored["app_key"] = address.credentials.app_key
        stored["secret_key"] = address.credentials.secret_key
    text = json.dumps(stored, indent=4) + "\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_private(path, text)
    except OSError as exc:
        raise click.UsageError(
            f"cannot write {path}: {exc.strerror}. Set {CONFIG_FILE_VARIABLE} "
            "to a writable file path."
        ) from exc
    return path


def _write_private(path: Path, text: str) -> None:
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
        os.chmod(partial, 0o600)
        os.replace(partial, path)
    except OSError:
        partial.unlink(missing_ok=True)
        raise


def load_address() -> ServerAddress:
    """Return the configured address or raise a UsageError saying how to set it."""
    stored = _read_config_file()
    ip = os.environ.get(IP_VARIABLE) or stored.get("ip")
    port = os.environ.get(PORT_VARIABLE) or stored.get("port")
    if ip in (None, "") or port in (None, ""):
        raise click.UsageError(
            "no server address configured: did you run flow init? "
            "Run `flow init --ip IP --port PORT`, or set "
            f"{IP_VARIABLE} and {PORT_VARIABLE}."
        )
    ip_source = IP_VARIABLE if os.environ.get(IP_VARIABLE) else str(config_path())
    port_source = PORT_VARIABLE if os.environ.get(PORT_VARIABLE) else str(config_path())
    return ServerAddress(
        parse_host(ip, source=ip_source),
        parse_port(port, source=port_source),
        _load_credentials(stored),
    )


def _load_credentials(stored: dict[str, object]) -> Credentials | None:
    env_app_key = os.environ.get(APP_KEY_VARIABLE)
    env_secret_key = os.environ.get(SECRET_KEY_VARIABLE)
    if bool(env_app_key) != bool(env_secret_key):
        # Mixing one variable with the stored half of another pair would sign
        # with a key and a secret that do not belong together.
        raise click.UsageError(
            f"only one of {APP_KEY_VARIABLE} and {SECRET_KEY_VARIABLE} is set; "
            "set both to use another key pair, or neither to use the stored one"
        )
    app_key = env_app_key or stored.get("app_key")
    secret_key = env_secret_key or stored.get("secret_key")
    if not app_key and not secret_key:
        return None
    if not isinstance(app_key, str) or not isinstance(secret_key, str):
        raise click.UsageError(
            "only half of a key pair is configured: run `flow init` with both "
            f"--app-key and --secret-key, or set both {APP_KEY_VARIABLE} and "
            f"{SECRET_KEY_VARIABLE}"
        )
    return parse_credentials(app_key, secret_key)


def parse_credentials(
    app_key: str | None, secret_key: str | None
) -> Credentials | None:
    """Return the key pair, None when both are empty, or raise a UsageError."""
    if not app_key and not secret_key:
        return None
    if not app_key or not secret_key:
        raise click.UsageError("give both --app-key and --secret-key, or neither")
    if not re.fullmatch(r"[\x21-\x7e]{1,128}", app_key):
        raise click.UsageError(
            f"invalid app key {app_key[:128]!r}: use 1 to 128 visible ASCII "
            "characters, as the service's settings do"
        )
    return Credentials(app_key, secret_key)


def parse_host(value: object, source: str) -> str:
    """Return a host name or IP address, or raise a UsageError naming ``source``."""
    text = str(value).strip()
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        pass
    # A name of digits and dots only would be an invalid IPv4 address.
    if not _HOST_NAME.fullmatch(text) or re.fullmatch(r"[0-9.]+", text):
        raise click.UsageError(
            f"invalid server address {value!r} in {source}: give a host name or "
            "an IP address without scheme or port, e.g. 127.0.0.1"
        )
    return text


def parse_port(value: object, source: str) -> int:
    try:
        port = int(str(value))
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise click.UsageError(f"invalid port {value!r} in {source}: use 1 to 65535")
    return port


def _read_config_file() -> dict[str, object]:
    path = config_path()
    if not path.exists():
        return {}
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise click.UsageError(
            f"cannot read {path}: {exc}. Run `flow init` again to rewrite it."
        ) from exc
    if not isinstance(stored, dict):
        raise click.UsageError(f"{path} must hold a JSON object; run `flow init` again")
    return stored
