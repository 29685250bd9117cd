"""The one HTTP client of ``flow``: send a request, print the envelope."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import requests

from fate_lineage.cli import output
from fate_lineage.cli.config import ServerAddress, load_address
from fate_lineage.errors import RetCode
from fate_lineage.signing import signed_headers

TIMEOUT_SECONDS = 30
# Packing an environment or waiting for another upload of it takes minutes;
# the service bounds the wait with dependency.upload_wait_seconds (300).
LONG_TIMEOUT_SECONDS = 900


def call(
    address: ServerAddress,
    method: str,
    path: str,
    body: Any = None,
    timeout: float = TIMEOUT_SECONDS,
) -> dict[str, Any]:
    """Send one request and return its envelope; failures become envelopes too."""
    url = address.base_url + path
    try:
        data, headers = _prepare(address, path, body)
        response = requests.request(
            method, url, data=data, headers=headers, timeout=timeout
        )
    except requests.ConnectionError as exc:
        return _failure(
            f"cannot connect to {url}: {_root_cause(exc)}. Check that the "
            "fate-lineage service is running (stack/stack.sh status) and that "
            "`flow init` points at it."
        )
    except requests.Timeout:
        return _failure(
            f"no response from {url} within {timeout:.0f} s; the service may "
            "still finish the request, so check its result before retrying"
        )
    except requests.RequestException as exc:
        return _failure(
            f"request to {url} failed: {_root_cause(exc)}. Check the address "
            "that `flow init` stored."
        )
    return _parse(url, response)


def _prepare(
    address: ServerAddress, path: str, body: Any
) -> tuple[bytes | None, dict[str, str]]:
    """Return the body as JSON bytes and the headers, signed if keys are set.

    The body is serialised here rather than by requests, so that the bytes
    signed are the bytes sent.
    """
    headers: dict[str, str] = {}
    data = None
    if body is not None:
        try:
            data = json.dumps(body, allow_nan=False).encode("utf-8")
        except ValueError as exc:
            raise requests.exceptions.InvalidJSONError(str(exc)) from exc
        headers["Content-Type"] = "application/json"
    credentials = address.credentials
    if credentials is not None:
        headers.update(
            signed_headers(
                credentials.app_key, credentials.secret_key, path, data or b""
            )
        )
    return data, headers


def _parse(url: str, response: requests.Response) -> dict[str, Any]:
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


def stream_lines(
    address: ServerAddress, path: str, body: Any
) -> Iterator[dict[str, Any]]:
    """POST ``body`` asking for NDJSON and yield each line as it arrives.

    A failure to connect, or a response that is not NDJSON, yields one
    envelope, as ``call`` returns it.
    """
    url = address.base_url + path
    try:
        data, headers = _prepare(address, path, body)
        response = requests.post(
            url,
            data=data,
            headers={**headers, "Accept": "application/x-ndjson"},
            stream=True,
            timeout=(TIMEOUT_SECONDS, LONG_TIMEOUT_SECONDS),
        )
    except requests.RequestException as exc:
        yield _failure(
            f"request to {url} failed: {_root_cause(exc)}. Check that the "
            "fate-lineage service is running and that `flow init` points at it."
        )
        return
    with response:
        if not response.headers.get("Content-Type", "").startswith(
            "application/x-ndjson"
        ):
            yield _parse(url, response)
            return
        try:
            for line in response.iter_lines():
                if line:
                    yield json.loads(line)
        except (requests.RequestException, ValueError) as exc:
            yield _failure(
                f"the stream from {url} broke off: {_root_cause(exc)}. The "
                "service may still finish; `flow dependency query` shows what "
                "is stored."
            )


def no_final_line() -> dict[str, Any]:
    """Return the envelope for a stream that ended without its envelope line."""
    return _failure(
        "the service closed the upload stream before its final answer; the "
        "service log tells why. `flow dependency query` shows what is stored."
    )


def post_and_echo(
    path: str, body: dict[str, Any], timeout: float = TIMEOUT_SECONDS
) -> None:
    """POST ``body`` to the configured service, print the envelope, exit by retcode."""
    echo_and_exit(call(load_address(), "POST", path, body, timeout))


def echo_and_exit(
    reply: dict[str, Any], reshape: Callable[[Any], Any] | None = None
) -> None:
    """Print the envelope in the output format and exit 1 on a non-zero retcode.

    ``reshape`` rewrites the data for the table format, as output.echo_reply
    describes.
    """
    output.echo_reply(reply, reshape)
    if reply.get("retcode") != RetCode.SUCCESS:
        raise SystemExit(1)


def _failure(message: str) -> dict[str, Any]:
    return {"retcode": RetCode.EXCEPTION, "retmsg": message, "data": None}


def _root_cause(exc: BaseException) -> str:
    while exc.__context__ is not None:
        exc = exc.__context__
    return str(exc) or type(exc).__name__
