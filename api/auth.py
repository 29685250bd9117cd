"""Signed requests: check FATE Flow's four headers before every endpoint.

When keys are configured, each request outside the open paths must carry
TIMESTAMP, NONCE, APP_KEY and SIGNATURE (``fate_lineage.signing`` describes
the recipe). A TIMESTAMP outside the window, a NONCE seen before, an unknown
APP_KEY or a wrong SIGNATURE get 401; a key that may not make the request
gets 403 (``fate_lineage.api.permissions``). The NONCE is stored in Redis
only after the signature matches, so unsigned traffic cannot fill Redis.
"""

from __future__ import annotations

import logging
import re
import time
from typing import TYPE_CHECKING

from flask import current_app, g, request

from fate_lineage.api.permissions import authorise
from fate_lineage.errors import Unauthenticated
from fate_lineage.resources.nonces import NonceStore
from fate_lineage.signing import (
    FORM_MIMETYPES,
    HEADER_APP_KEY,
    HEADER_NONCE,
    HEADER_SIGNATURE,
    HEADER_TIMESTAMP,
    SIGNATURE_HEADERS,
    encode_form,
    signature_matches,
    signing_message,
)

if TYPE_CHECKING:
    from flask import Flask

    from fate_lineage.conf import ApiClient, AuthenticationSettings

log = logging.getLogger(__name__)

# Probes and metrics serve orchestrators and Prometheus, which do not sign.
# The API document and Swagger UI describe the endpoints and hold no data.
OPEN_PATHS = frozenset({"/healthz", "/readyz", "/metrics", "/swagger.json"})
OPEN_PREFIXES = ("/docs/", "/swaggerui/")

# FATE's client sends a UUID; anything header-safe up to 128 characters passes.
_VALID_NONCE = re.compile(r"[\x21-\x7e]{1,128}")
# Extra milliseconds a NONCE is kept past the end of its TIMESTAMP's window.
NONCE_MARGIN_MS = 1000
SIGNING_HELP = (
    "docs/security.md gives the recipe, and `flow init --app-key KEY "
    "--secret-key SECRET` makes flow sign its requests"
)


def install_authentication(app: Flask) -> None:
    """Require signed requests on ``app`` when its settings configure keys.

    Call it after the backends are stored in ``app.extensions["fate_lineage"]``.
    """
    backends = app.extensions["fate_lineage"]
    settings: AuthenticationSettings = backends.settings.authentication
    if not settings.enabled:
        log.info("no API keys configured: requests are accepted unsigned")
        return
    namespace = backends.settings.resource_manager.key_namespace
    app.extensions["fate_lineage.nonces"] = NonceStore(backends.redis, namespace)
    app.before_request(_check_request)
    log.info(
        "signed requests required: %d API key(s), timestamp window %g s",
        len(settings.clients),
        settings.timestamp_window_seconds,
    )


def is_open(path: str) -> bool:
    """Tell whether ``path`` is served without a signature."""
    return path in OPEN_PATHS or path.startswith(OPEN_PREFIXES) or path == "/docs"


def _check_request() -> None:
    if is_open(request.path):
        return
    backends = current_app.extensions["fate_lineage"]
    nonces: NonceStore = current_app.extensions["fate_lineage.nonces"]
    client = authenticate(backends.settings.authentication, nonces)
    g.api_client = client
    authorise(client, request.method, request.path, backends)


def authenticate(settings: AuthenticationSettings, nonces: NonceStore) -> ApiClient:
    """Return the client that signed the current request, or raise Unauthenticated."""
    headers = {name: request.headers.get(name) for name in SIGNATURE_HEADERS}
    missing = [name for name, value in headers.items() if not value]
    if missing:
        raise Unauthenticated(
            f"the request is not signed: {_headers_missing(missing)}. "
            f"Send TIMESTAMP, NONCE, APP_KEY and SIGNATURE; {SIGNING_HELP}."
        )
    timestamp = headers[HEADER_TIMESTAMP] or ""
    nonce = headers[HEADER_NONCE] or ""
    app_key = headers[HEADER_APP_KEY] or ""
    now_ms = time.time_ns() // 1_000_000
    sent_ms = _check_timestamp(timestamp, now_ms, settings.timestamp_window_seconds)
    if not _VALID_NONCE.fullmatch(nonce):
        raise Unauthenticated(
            "invalid NONCE: use 1 to 128 visible ASCII characters, such as a "
            "new UUID for every request"
        )

    client = settings.client(app_key)
    if client is None:
        raise Unauthenticated(
            f"unknown APP_KEY {app_key[:128]!r}: no such key is configured "
            "on this service; check the key that flow init stored"
        )
    _check_signature(client, timestamp, nonce, headers[HEADER_SIGNATURE] or "")

    window_ms = int(settings.timestamp_window_seconds * 1000)
    keep_ms = sent_ms + window_ms - now_ms + NONCE_MARGIN_MS
    if not nonces.claim(app_key, nonce, keep_ms):
        raise Unauthenticated(
            f"NONCE {nonce!r} of APP_KEY {app_key!r} was used before: this "
            "request is a replay. Send a new NONCE with every request."
        )
    return client


def _check_signature(
    client: ApiClient, timestamp: str, nonce: str, signature: str
) -> None:
    app_key = client.app_key
    message = signing_message(timestamp, nonce, app_key, request.full_path, *_payload())
    if not signature_matches(client.secret_key, message, signature):
        raise Unauthenticated(
            f"invalid SIGNATURE for APP_KEY {app_key!r}: it does not match the "
            "request's TIMESTAMP, NONCE, APP_KEY, path and body under that key's "
            f"secret. Check the secret key; {SIGNING_HELP}."
        )


def _headers_missing(names: list[str]) -> str:
    if len(names) == 1:
        return f"header {names[0]} is missing"
    return f"headers {', '.join(names)} are missing"


def _check_timestamp(timestamp: str, now_ms: int, window_seconds: float) -> int:
    if not re.fullmatch(r"[0-9]{1,16}", timestamp):
        raise Unauthenticated(
            f"invalid TIMESTAMP {timestamp[:32]!r}: give the time of signing in "
            "epoch milliseconds, such as 1796404427050"
        )
    sent_ms = int(timestamp)
    difference = abs(now_ms - sent_ms) / 1000
    if difference > window_seconds:
        raise Unauthenticated(
            f"TIMESTAMP {timestamp} is {difference:.0f} s away from the server's "
            f"clock, more than the {window_seconds:g} s allowed: the request is "
            "stale. Sign each request when sending it, and check the client's "
            "clock."
        )
    return sent_ms


def _payload() -> tuple[bytes, str]:
    """Return the raw body, or for a form its fields encoded for signing."""
    if request.mimetype in FORM_MIMETYPES:
        # Files of a multipart form are left out, as FATE Flow does.
        return b"", encode_form(request.form.items(multi=True))
    return request.get_data(cache=True), ""
