"""FATE Flow's request signature, shared by the service and the ``flow`` CLI.

FATE Flow 1.7 signs a request with four headers. TIMESTAMP is the time in
epoch milliseconds, NONCE a string used once (FATE's client sends a UUID),
APP_KEY names the key, and SIGNATURE is the base64 of an HMAC-SHA1 digest
keyed with the secret key. The digest covers six lines joined by ``\\n``.
They are the timestamp, the nonce, the app key, the path with its query
string (no ``?`` when there is none) and the raw body. The sixth is the form
fields, sorted and percent-encoded per RFC 3986, which leaves
``a-zA-Z0-9-._~`` as they are.

FATE Flow puts the raw body on the fifth line only for application/json and
leaves it empty otherwise. This service parses every body as JSON whatever
its Content-Type, so it signs the raw body of any request that is not a form;
FATE's clients send JSON or forms, so their signatures match.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import uuid
from collections.abc import Iterable
from urllib.parse import quote, urlencode

HEADER_TIMESTAMP = "TIMESTAMP"
HEADER_NONCE = "NONCE"
HEADER_APP_KEY = "APP_KEY"
HEADER_SIGNATURE = "SIGNATURE"
SIGNATURE_HEADERS = (HEADER_TIMESTAMP, HEADER_NONCE, HEADER_APP_KEY, HEADER_SIGNATURE)

FORM_MIMETYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def encode_form(fields: Iterable[tuple[str, str]]) -> str:
    """Return form fields sorted by name, then value, and percent-encoded."""
    return urlencode(sorted(fields), quote_via=quote, safe="")


def signing_message(
    timestamp: str,
    nonce: str,
    app_key: str,
    full_path: str,
    body: bytes = b"",
    form: str = "",
) -> bytes:
    """Return the bytes that SIGNATURE is computed over.

    ``full_path`` is the path and query string as sent, such as
    ``/v1/job/query`` or ``/v1/table/list?x=1``; a trailing ``?`` is dropped.
    ``body`` is the raw body of a request that is not a form, and ``form``
    the output of :func:`encode_form` for a form.
    """
    lines = [
        timestamp.encode("utf-8"),
        nonce.encode("utf-8"),
        app_key.encode("utf-8"),
        full_path.rstrip("?").encode("utf-8"),
        body,
        form.encode("utf-8"),
    ]
    return b"\n".join(lines)


def sign(secret_key: str, message: bytes) -> str:
    """Return the base64 HMAC-SHA1 digest of ``message`` under ``secret_key``."""
    digest = hmac.new(secret_key.encode("utf-8"), message, hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def signature_matches(secret_key: str, message: bytes, signature: str) -> bool:
    """Compare in constant time, so the time taken reveals no digest prefix."""
    expected = sign(secret_key, message).encode("ascii")
    return hmac.compare_digest(expected, signature.encode("utf-8", "replace"))


def signed_headers(
    app_key: str,
    secret_key: str,
    full_path: str,
    body: bytes,
    now_ms: int | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    """Return the four headers that sign a request with a JSON or empty body."""
    timestamp = str(now_ms if now_ms is not None else time.time_ns() // 1_000_000)
    nonce = nonce if nonce is not None else str(uuid.uuid4())
    message = signing_message(timestamp, nonce, app_key, full_path, body)
    return {
        HEADER_TIMESTAMP: timestamp,
        HEADER_NONCE: nonce,
        HEADER_APP_KEY: app_key,
        HEADER_SIGNATURE: sign(secret_key, message),
    }
