from __future__ import annotations

import json
import logging
import re
from types import TracebackType

import pytest

from fate_lineage.api.logs import (
    NO_REQUEST_ID,
    JsonFormatter,
    RequestIdFilter,
    TextFormatter,
    accept_request_id,
    request_id_var,
)
from fate_lineage.conf import load_settings
from fate_lineage.conf.settings import default_conf_path
from fate_lineage.errors import ConfigError

NEW_ID = re.compile(r"[0-9a-f]{32}")


@pytest.mark.parametrize(
    "incoming",
    ["abc", "A.b_c:d-1", "x" * 128, "0f1e2d3c4b5a69788796a5b4c3d2e1f0", "7"],
    ids=["word", "every-symbol", "max-length", "uuid-hex", "one-char"],
)
def test_request_id_kept_when_valid(incoming: str) -> None:
    assert accept_request_id(incoming) == incoming


@pytest.mark.parametrize(
    "incoming",
    [None, "", "x" * 129, "has space", "semi;colon", "ünï", "line\nbreak", "a/b"],
    ids=[
        "missing",
        "empty",
        "too-long",
        "space",
        "semicolon",
        "non-ascii",
        "newline",
        "slash",
    ],
)
def test_request_id_replaced_when_invalid(incoming: str | None) -> None:
    replaced = accept_request_id(incoming)

    assert NEW_ID.fullmatch(replaced)
    assert replaced != incoming


def test_new_request_ids_differ() -> None:
    assert accept_request_id(None) != accept_request_id(None)


ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def record(
    message: str, *args: object, exc_info: ExcInfo | None = None
) -> logging.LogRecord:
    return logging.LogRecord(
        "fate_lineage.test", logging.WARNING, __file__, 1, message, args, exc_info
    )


def test_filter_sets_current_request_id() -> None:
    token = request_id_var.set("req-1")
    try:
        entry = record("inside")
        RequestIdFilter().filter(entry)
    finally:
        request_id_var.reset(token)

    assert getattr(entry, "request_id", None) == "req-1"


def test_filter_marks_lines_outside_requests() -> None:
    entry = record("outside")
    RequestIdFilter().filter(entry)

    assert getattr(entry, "request_id", None) == NO_REQUEST_ID


def test_json_line_has_every_field() -> None:
    entry = record("job %s applied %d cores", "j1", 8)
    entry.request_id = "req-2"

    line = JsonFormatter().format(entry)
    parsed = json.loads(line)

    assert parsed["message"] == "job j1 applied 8 cores"
    assert parsed["level"] == "WARNING"
    assert parsed["logger"] == "fate_lineage.test"
    assert parsed["request_id"] == "req-2"
    assert parsed["process"] == entry.process
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", parsed["time"])
    assert "exception" not in parsed


def test_json_line_without_request_is_null() -> None:
    entry = record("outside")
    RequestIdFilter().filter(entry)

    assert json.loads(JsonFormatter().format(entry))["request_id"] is None


def test_json_line_carries_exception_text() -> None:
    try:
        raise ValueError("bad value 42")
    except ValueError as error:
        entry = record("failed", exc_info=(ValueError, error, error.__traceback__))

    line = JsonFormatter().format(entry)
    exception = json.loads(line)["exception"]

    assert "\n" not in line
    assert exception.startswith("Traceback (most recent call last):")
    assert "ValueError: bad value 42" in exception


def test_json_line_keeps_multiline_message_on_one_line() -> None:
    line = JsonFormatter().format(record("first\nsecond, ünïcode"))

    assert "\n" not in line
    assert json.loads(line)["message"] == "first\nsecond, ünïcode"


def test_log_format_defaults_to_text() -> None:
    settings = load_settings(default_conf_path(), environ={})

    assert settings.logging.format == "text"


def test_log_format_override_to_json() -> None:
    environ = {"FATE_LINEAGE__LOGGING__FORMAT": "json"}

    settings = load_settings(default_conf_path(), environ=environ)

    assert settings.logging.format == "json"


def test_unknown_log_format_names_key_and_variable() -> None:
    environ = {"FATE_LINEAGE__LOGGING__FORMAT": "xml"}

    with pytest.raises(ConfigError) as caught:
        load_settings(default_conf_path(), environ=environ)

    message = caught.value.message
    assert "logging.format: Must be one of: text, json" in message
    assert "'xml'" in message
    assert "FATE_LINEAGE__LOGGING__FORMAT" in message


def test_text_message_cannot_forge_a_line() -> None:
    formatter = TextFormatter("%(levelname)s %(message)s")
    record = logging.makeLogRecord(
        {
            "msg": "no table %s",
            "args": ("t\n[ERROR] forged\x00",),
            "levelname": "INFO",
        }
    )

    assert formatter.format(record) == "INFO no table t\\n[ERROR] forged\\x00"
