"""The exception root of the service and one subclass per cause.

Each class carries the FATE Flow retcode and the HTTP status that the API's
single error handler puts on the response, so callers raise by cause and never
pick codes themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, ClassVar


class RetCode:
    """FATE Flow 1.7's retcodes, kept so that existing clients read ours."""

    SUCCESS = 0
    EXCEPTION = 100
    ARGUMENT_ERROR = 101
    DATA_ERROR = 102
    OPERATING_ERROR = 103
    FEDERATED_ERROR = 104
    CONNECTION_ERROR = 105
    RUNNING = 106
    # FATE Flow 1.7 has no retcodes for signatures; later FATE Flow releases
    # added these two, so clients of either can tell the cause.
    PERMISSION_ERROR = 108
    AUTHENTICATION_ERROR = 109
    SERVER_ERROR = 500


class LineageError(Exception):
    """Root of every error the service reports to a caller.

    ``details`` is put in the envelope's ``data`` field. It is not called
    ``data`` because flask-restx treats exceptions with that attribute as its
    own and would bypass our handler.
    """

    retcode: ClassVar[int] = RetCode.EXCEPTION
    http_status: ClassVar[int] = 500
    response_headers: ClassVar[Mapping[str, str]] = MappingProxyType({})

    def __init__(self, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidInput(LineageError):
    """A request field is missing, of the wrong type or out of range."""

    retcode = RetCode.ARGUMENT_ERROR
    http_status = 400


class NotFound(LineageError):
    """A table, job or route that the request names does not exist."""

    retcode = RetCode.EXCEPTION
    http_status = 404


class Conflict(LineageError):
    """The request contradicts the current state, for example a running job."""

    retcode = RetCode.OPERATING_ERROR
    http_status = 409


class InsufficientResources(LineageError):
    """A job requests more cores or memory than an engine has free now."""

    retcode = RetCode.OPERATING_ERROR
    http_status = 409


_SIGNATURE_HEADERS = "TIMESTAMP NONCE APP_KEY SIGNATURE"


class Unauthenticated(LineageError):
    """A request is unsigned, wrongly signed, stale, replayed or of an unknown key."""

    retcode = RetCode.AUTHENTICATION_ERROR
    http_status = 401
    # HTTP requires a challenge on 401; the scheme names FATE Flow's headers.
    response_headers: ClassVar[Mapping[str, str]] = MappingProxyType(
        {"WWW-Authenticate": f'FATE-Signature headers="{_SIGNATURE_HEADERS}"'}
    )


class Forbidden(LineageError):
    """A correctly signed request that its key is not allowed to make."""

    retcode = RetCode.PERMISSION_ERROR
    http_status = 403


class BackendUnavailable(LineageError):
    """Neo4j or Redis did not respond; the request may succeed on retry."""

    retcode = RetCode.CONNECTION_ERROR
    http_status = 503
    # Seconds, matching "Retry in a few seconds" in the message, because
    # clients and proxies read the header rather than the text.
    response_headers: ClassVar[Mapping[str, str]] = MappingProxyType(
        {"Retry-After": "5"}
    )

    def __init__(self, backend: str, reason: str) -> None:
        super().__init__(
            f"{backend} is unavailable: {reason}. "
            "Retry in a few seconds; if it persists, check that "
            f"{backend} is running (stack/stack.sh status).",
            details={"backend": backend},
        )
        self.backend = backend


class BackendMisconfigured(BackendUnavailable):
    """A backend responded but rejected the settings, such as a wrong password.

    Retrying with the same settings cannot help, so the message names the
    setting to check instead of suggesting a retry.
    """

    response_headers: ClassVar[Mapping[str, str]] = MappingProxyType({})

    def __init__(self, backend: str, reason: str) -> None:
        LineageError.__init__(
            self,
            f"{backend} rejected the service's settings: {reason}",
            details={"backend": backend},
        )
        self.backend = backend


class ConfigError(LineageError):
    """The settings file or an environment override is missing or invalid."""

    retcode = RetCode.EXCEPTION
    http_status = 500
