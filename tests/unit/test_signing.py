from __future__ import annotations

import pytest

from fate_lineage.signing import (
    encode_form,
    sign,
    signature_matches,
    signed_headers,
    signing_message,
)

TIMESTAMP = "1796404427050"
NONCE = "0f8fad5b-d9cb-469f-a165-70867728950e"
APP_KEY = "guest-reader"
SECRET = "a-long-random-string"
PATH = "/v1/table/tracking/source"
BODY = b'{"table_name": "breast_hetero_guest", "namespace": "experiment"}'
# Computed independently: the message bytes below, piped through
# `openssl dgst -sha1 -hmac a-long-random-string -binary | base64`.
EXPECTED_SIGNATURE = "jfsxZ7oicZEmM2VI/4Ms0cyWllY="


def test_message_joins_six_lines() -> None:
    message = signing_message(TIMESTAMP, NONCE, APP_KEY, PATH, BODY)

    assert message == b"\n".join(
        [TIMESTAMP.encode(), NONCE.encode(), APP_KEY.encode(), PATH.encode(), BODY, b""]
    )


def test_sign_matches_openssl() -> None:
    message = signing_message(TIMESTAMP, NONCE, APP_KEY, PATH, BODY)

    assert sign(SECRET, message) == EXPECTED_SIGNATURE


def test_message_drops_trailing_question_mark() -> None:
    plain = signing_message(TIMESTAMP, NONCE, APP_KEY, PATH, BODY)
    with_mark = signing_message(TIMESTAMP, NONCE, APP_KEY, PATH + "?", BODY)

    assert plain == with_mark


def test_message_keeps_query_string() -> None:
    message = signing_message(TIMESTAMP, NONCE, APP_KEY, PATH + "?a=1", BODY)

    assert b"\n/v1/table/tracking/source?a=1\n" in message


def test_form_sorted_and_percent_encoded() -> None:
    encoded = encode_form([("namespace", "a b/c"), ("head", "1"), ("id", "~x_y.z-")])

    assert encoded == "head=1&id=~x_y.z-&namespace=a%20b%2Fc"


def test_form_is_last_line() -> None:
    message = signing_message(TIMESTAMP, NONCE, APP_KEY, PATH, form="a=1")

    assert message.endswith(b"\n\na=1")


@pytest.mark.parametrize(
    "changed",
    [
        {"timestamp": "1796404427051"},
        {"nonce": "other"},
        {"app_key": "guest-writer"},
        {"full_path": "/v1/table/tracking/job"},
        {"body": BODY.replace(b"experiment", b"experiment2")},
    ],
    ids=["timestamp", "nonce", "app_key", "path", "body"],
)
def test_signature_covers_each_part(changed: dict[str, str | bytes]) -> None:
    parts: dict[str, str | bytes] = {
        "timestamp": TIMESTAMP,
        "nonce": NONCE,
        "app_key": APP_KEY,
        "full_path": PATH,
        "body": BODY,
    }
    parts.update(changed)
    message = signing_message(**parts)  # type: ignore[arg-type]

    assert not signature_matches(SECRET, message, EXPECTED_SIGNATURE)


def test_signature_matches_rejects_wrong_secret() -> None:
    message = signing_message(TIMESTAMP, NONCE, APP_KEY, PATH, BODY)

    assert signature_matches(SECRET, message, EXPECTED_SIGNATURE)
    assert not signature_matches(SECRET + "x", message, EXPECTED_SIGNATURE)


def test_signature_matches_rejects_non_ascii() -> None:
    message = signing_message(TIMESTAMP, NONCE, APP_KEY, PATH, BODY)

    assert not signature_matches(SECRET, message, "jfsxZ7oicZEmM2VI/4Ms0cyWllY\u00e9")


def test_signed_headers_fixed_time_and_nonce() -> None:
    headers = signed_headers(
        APP_KEY, SECRET, PATH, BODY, now_ms=int(TIMESTAMP), nonce=NONCE
    )

    assert headers == {
        "TIMESTAMP": TIMESTAMP,
        "NONCE": NONCE,
        "APP_KEY": APP_KEY,
        "SIGNATURE": EXPECTED_SIGNATURE,
    }


def test_signed_headers_new_nonce_each_call() -> None:
    first = signed_headers(APP_KEY, SECRET, PATH, BODY)
    second = signed_headers(APP_KEY, SECRET, PATH, BODY)

    assert first["NONCE"] != second["NONCE"]
    assert first["TIMESTAMP"].isdigit()
    assert len(first["TIMESTAMP"]) == 13
