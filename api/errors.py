"""The one translation from exceptions to the envelope and an HTTP status."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from flask import current_app, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from fate_lineage.api.envelope import envelope
from fate_lineage.errors import LineageError, RetCode

if TYPE_CHECKING:
    from flask import Flask
    from flask_restx import Api

log = logging.getLogger(__name__)

# HTTP errors raised by Flask itself (bad JSON, unknown route, body too large)
# and the retcode that FATE Flow clients expect for each kind.
_HTTP_RETCODES = {400: RetCode.ARGUMENT_ERROR, 413: RetCode.ARGUMENT_ERROR}

ErrorResponse = tuple[dict[str, Any], int, dict[str, str]]


def render_error(error: Exception) -> ErrorResponse:
    """Turn any exception into the envelope; unexpected ones are logged once."""
    if isinstance(error, LineageError):
        log.info(
            "%s %s failed with %s: %s",
            request.method,
            request.path,
            type(error).__name__,
            error.message,
        )
        body = envelope(error.retcode, error.message, error.details)
        return body, error.http_status, dict(error.response_headers)
    if isinstance(error, HTTPException):
        status = error.code or 500
        retcode = _HTTP_RETCODES.get(status, RetCode.EXCEPTION)
        headers = {}
        if isinstance(error, MethodNotAllowed) and error.valid_methods:
            headers["Allow"] = ", ".join(sorted(error.valid_methods))
        return envelope(retcode, _describe_http_error(error)), status, headers
    log.exception("%s %s failed unexpectedly", request.method, request.path)
    return (
        envelope(
            RetCode.SERVER_ERROR,
            "internal server error; the service log has the details",
        ),
        500,
        {},
    )


def _describe_http_error(error: HTTPException) -> str:
    if error.code == 404:
        return (
            f"no endpoint at {request.path}; /swagger.json lists every endpoint "
            "and /docs/ shows them"
        )
    if error.code == 413:
        limit = current_app.config["MAX_CONTENT_LENGTH"]
        example = (
            "the events over several batches"
            if request.path.startswith("/api/v1/lineage")
            else "a task's outputs over several reports"
        )
        return (
            f"the request body is over the limit of {limit} bytes "
            f"({limit // 1024 // 1024} MiB); send less, for example {example}"
        )
    if error.code == 405:
        return (
            f"{request.method} is not allowed on {request.path}; "
            "/swagger.json lists the methods of every endpoint"
        )
    return f"{error.name}: {error.description}"


def register_error_handlers(app: Flask, api: Api) -> None:
    """Route errors from Flask-RESTX resources and from plain Flask alike."""
    api.errorhandler(Exception)(render_error)
    app.register_error_handler(Exception, render_error)
