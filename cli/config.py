"""The server address of ``flow``: a user config file, then the environment.

``flow init`` writes ``$XDG_CONFIG_HOME/fate-lineage/flow.json`` (by default
under ``~/.config``); FATE_LINEAGE_FLOW_CONFIG names another file.
FATE_LINEAGE_FLOW_IP and FATE_LINEAGE_FLOW_PORT override what the file holds.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import click

CONFIG_FILE_VARIABLE = "FATE_LINEAGE_FLOW_CONFIG"
IP_VARIABLE = "FATE_LINEAGE_FLOW_IP"
PORT_VARIABLE = "FATE_LINEAGE_FLOW_PORT"

# Dot-separated labels of letters, digits and hyphens (RFC 1123).
_HOST_NAME = re.compile(
    r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*"
)


@dataclass(frozen=True)
class ServerAddress:
    ip: str
    port: int

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
    """Write the address to the user config file and return the file's path."""
    path = config_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            json.dumps({"ip": address.ip, "port": address.port}, indent=4) + "\n",
            encoding="utf-8",
        )
    except OSError as exc:
        raise click.UsageError(
            f"cannot write {path}: {exc.strerror}. Set {CONFIG_FILE_VARIABLE} "
            "to a writable file path."
        ) from exc
    return path


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
        parse_host(ip, source=ip_source), parse_port(port, source=port_source)
    )


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
