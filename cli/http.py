"""The one HTTP client of ``flow``: send a request, print the envelope."""

from __future__ import annotations

import json
from typing import Any

import click
import requests

from fate_lineage.cli.config import ServerAddress, load_address
from fate_lineage.errors import RetCode

TIMEOUT_SECONDS = 30


def call(
    address: ServerAddress, method: str, path: str, body: Any = None
) -> dict[str, Any]:
    """Send one request and return its envelope; failures become envelopes too."""
    url = address.base_url + path
    try:
        response = requests.request(method, url, json=body, timeout=TIMEOUT_SECONDS)
    except requests.ConnectionError as exc:
        return _failure(
            f"cannot connect to {url}: {_root_cause(exc)}. Check that the "
            "fate-lineage service is running (stack/stack.sh status) and that "
            "`flow init` points at it."
        )
    except requests.Timeout:
        return _failure(f"no response from {url} within {TIMEOUT_SECONDS} s")
    except requests.RequestException as exc:
        return _failure(
            f"request to {url} failed: {_root_cause(exc)}. Check the address "
            "that `flow init` stored."
        )
    try:
        reply = response.json()
    except ValueError:
        return _failure(
            f"{url} answered HTTP {response.status_code} with a body that is not "
            "JSON; check that the address is a fate-lineage service"
        )
    if not isinstance(reply, dict) or "retcode" not in reply:
        return _failure(f"{url} answered without a retcode: {reply!r}")
    return reply


def post_and_echo(path: str, body: dict[str, Any]) -> None:
    """POST ``body`` to the configured service, print the envelope, exit by retcode."""
    echo_and_exit(call(load_address(), "POST", path, body))


def echo_and_exit(reply: dict[str, Any]) -> None:
    """Print the envelope as FATE Flow does and exit 1 on a non-zero retcode."""
    click.echo(json.dumps(reply, indent=4, ensure_ascii=False))
    if reply.get("retcode") != RetCode.SUCCESS:
        raise SystemExit(1)


def _failure(message: str) -> dict[str, Any]:
    return {"retcode": RetCode.EXCEPTION, "retmsg": message, "data": None}


def _root_cause(exc: BaseException) -> str:
    while exc.__context__ is not None:
        exc = exc.__context__
    return str(exc) or type(exc).__name__
