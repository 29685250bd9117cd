"""Request ids and the layout of log lines.

Each request gets an id: its ``X-Request-Id`` header when that is valid, else a
new uuid4 hex. The response returns the id in the same header, and
RequestIdFilter adds it to every log line written while the request runs.
Under gunicorn, ServiceLogger puts the filter and the layout chosen by
``logging.format`` on gunicorn's error and access log handlers, which the
service's own loggers share.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import uuid
from datetime import UTC, datetime
from logging.handlers import SysLogHandler
from typing import TYPE_CHECKING, Any

from flask import g, request
from gunicorn.glogging import Logger as GunicornLogger

if TYPE_CHECKING:
    from flask import Flask, Response

REQUEST_ID_HEADER = "X-Request-Id"
MAX_REQUEST_ID_LENGTH = 128
_VALID_REQUEST_ID = re.compile(rf"[A-Za-z0-9._:-]{{1,{MAX_REQUEST_ID_LENGTH}}}")
# Text lines written outside a request show this, and JSON lines show null.
NO_REQUEST_ID = "-"

# gunicorn's default access line with the response's request id appended.
ACCESS_LOG_FORMAT = (
    '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %({x-request-id}o)s'
)
# gunicorn's error line layout with the request id after the level.
TEXT_FORMAT = "%(asctime)s [%(process)d] [%(levelname)s] [%(request_id)s] %(message)s"
TEXT_DATE_FORMAT = "[%Y-%m-%d %H:%M:%S %z]"

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "fate_lineage_request_id", default=None
)


def accept_request_id(incoming: str | None) -> str:
    """Return ``incoming`` if it is a valid request id, else a new uuid4 hex.

    A valid id has 1 to 128 characters from ``A-Z a-z 0-9 . _ : -``, so it
    is safe to put in a header and a log line as it is.
    """
    if incoming is not None and _VALID_REQUEST_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


def install_request_ids(app: Flask) -> None:
    """Give every request of ``app`` an id and return it in X-Request-Id."""
    app.before_request(_start_request)
    app.after_request(_add_request_id_header)
    app.teardown_request(_end_request)


def _start_request() -> None:
    request_id = accept_request_id(request.headers.get(REQUEST_ID_HEADER))
    g.request_id_token = request_id_var.set(request_id)


def _add_request_id_header(response: Response) -> Response:
    request_id = request_id_var.get()
    if request_id is not None:
        response.headers[REQUEST_ID_HEADER] = request_id
    return response


def _end_request(error: BaseException | None) -> None:
    # gthread workers reuse their threads, so the id must not outlive the
    # request and show up in the next request's lines.
    token = g.pop("request_id_token", None)
    if token is not None:
        request_id_var.reset(token)


class RequestIdFilter(logging.Filter):
    """Set ``record.request_id`` to the current request's id, or ``-``."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get() or NO_REQUEST_ID
        return True


class JsonFormatter(logging.Formatter):
    """Format a record as one line of JSON.

    Keys: ``time`` (UTC, ISO 8601 with milliseconds), ``level``, ``logger``,
    ``process``, ``message`` and ``request_id`` (null outside a request), plus
    ``exception`` with the traceback text when the record has one.
    """

    def format(self, record: logging.LogRecord) -> str:
        request_id = getattr(record, "request_id", None) or request_id_var.get()
        entry: dict[str, Any] = {
            "time": _utc_time(record.created),
            "level": record.levelname,
            "logger": record.name,
            "process": record.process,
            "message": record.getMessage(),
            "request_id": None if request_id == NO_REQUEST_ID else request_id,
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """Text lines whose message cannot add lines of its own.

    Messages quote client values, such as table names. A line break or other
    control character in one is written escaped (``\\n``, ``\\x00``), so it
    cannot forge a log line. Tracebacks keep their lines.
    """

    def formatMessage(self, record: logging.LogRecord) -> str:
        safe = logging.makeLogRecord(record.__dict__)
        safe.message = record.getMessage().translate(_CONTROL_ESCAPES)
        return super().formatMessage(safe)


_CONTROL_ESCAPES = str.maketrans(
    {
        **{chr(code): f"\\x{code:02x}" for code in (*range(0x20), 0x7F)},
        "\n": "\\n",
        "\r": "\\r",
        "\t": "\t",
    }
)


def _utc_time(created: float) -> str:
    moment = datetime.fromtimestamp(created, tz=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class ServiceLogger(GunicornLogger):
    """gunicorn's logger with the request id in error and access lines."""

    json_lines = False

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        request_ids = RequestIdFilter()
        for logger in (self.error_log, self.access_log):
            # Handlers from a --log-config file keep the layout that file
            # gives them, so only gunicorn's own handlers change.
            for handler in logger.handlers:
                if not getattr(handler, "_gunicorn", False):
                    continue
                handler.addFilter(request_ids)
                if not isinstance(handler, SysLogHandler):
                    handler.setFormatter(self._formatter(logger is self.access_log))

    def _formatter(self, access: bool) -> logging.Formatter:
        if self.json_lines:
            return JsonFormatter()
        if access:
            return logging.Formatter(self.access_fmt)
        return TextFormatter(TEXT_FORMAT, TEXT_DATE_FORMAT)

    def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
        # The app has ended the request by now, so the id comes from the
        # response's header.
        request_id = _header_value(resp.headers, REQUEST_ID_HEADER)
        token = request_id_var.set(request_id)
        try:
            super().access(resp, req, environ, request_time)
        finally:
            request_id_var.reset(token)


class JsonLinesLogger(ServiceLogger):
    """ServiceLogger that writes each error and access line as JSON."""

    json_lines = True


# gunicorn's logger_class for each value of the logging.format setting.
LOGGER_CLASSES: dict[str, type[ServiceLogger]] = {
    "text": ServiceLogger,
    "json": JsonLinesLogger,
}


def _header_value(headers: list[tuple[str, str]], name: str) -> str | None:
    lowered = name.lower()
    for key, value in headers:
        if key.lower() == lowered:
            return value
    return None
