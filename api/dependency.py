"""Dependency archives: upload, list, and what a job's executors get."""

from __future__ import annotations

import json
import logging
import queue
import threading
from collections.abc import Iterator
from typing import Any

from flask import Response as FlaskResponse
from flask import current_app, request
from flask_restx import Namespace, Resource
from marshmallow import fields, validate

from fate_lineage.api.envelope import Response, envelope, success
from fate_lineage.api.models import body_model
from fate_lineage.api.schemas import JobIdSchema, StrictSchema, load_body
from fate_lineage.distribution.service import KINDS, DependencyService
from fate_lineage.errors import LineageError, RetCode

log = logging.getLogger(__name__)

ns = Namespace("dependency", description="Code and environment archives for Spark")

NDJSON = "application/x-ndjson"


class DependencyUploadSchema(StrictSchema):
    type = fields.String(
        load_default="all", validate=validate.OneOf(("code", "env", "all"))
    )


def _service() -> DependencyService:
    service: DependencyService = current_app.extensions["fate_lineage"].distribution
    return service


@ns.route("/upload")
class Upload(Resource):
    @ns.expect(body_model(ns, DependencyUploadSchema))
    def post(self) -> Response | FlaskResponse:
        """Pack the code and/or environment and store each new version once.

        With ``Accept: application/x-ndjson`` the response streams one JSON line
        per percent of progress, ``{"progress": {"type", "done", "total"}}``,
        and ends with the envelope line.
        """
        body = load_body(DependencyUploadSchema())
        kinds = KINDS if body["type"] == "all" else (body["type"],)
        if request.accept_mimetypes.best == NDJSON:
            return FlaskResponse(_stream(_service(), kinds), mimetype=NDJSON)
        return success(_upload(_service(), kinds, None))


@ns.route("/query")
class Query(Resource):
    def post(self) -> Response:
        """List the stored archives, newest first within each type."""
        return success(_service().query())


@ns.route("/check")
class Check(Resource):
    @ns.expect(body_model(ns, JobIdSchema))
    def post(self) -> Response:
        """Show a job's archives and the spark-submit options they give."""
        body = load_body(JobIdSchema())
        backends = current_app.extensions["fate_lineage"]
        job = backends.recorder.repository.find_job(body["job_id"])
        return success(_service().check(body["job_id"], job))


def _upload(service: DependencyService, kinds: tuple[str, ...], progress: Any) -> Any:
    archives: list[dict[str, Any]] = []
    for kind in kinds:
        try:
            record, uploaded = service.upload(kind, progress)
        except LineageError as exc:
            # Keep what was stored before the failure in the error's data.
            if archives:
                known = exc.details if isinstance(exc.details, dict) else {}
                exc.details = {**known, "archives": archives}
            raise
        archives.append({**record, "uploaded": uploaded})
    return {"archives": archives}


def _stream(service: DependencyService, kinds: tuple[str, ...]) -> Iterator[str]:
    """Run the upload on a thread and yield its progress, then its envelope."""
    lines: queue.Queue[dict[str, Any] | None] = queue.Queue()
    shown: dict[str, int] = {}

    def progress(kind: str, done: int, total: int) -> None:
        percent = done * 100 // max(total, 1)
        if shown.get(kind) != percent:
            shown[kind] = percent
            lines.put({"progress": {"type": kind, "done": done, "total": total}})

    def work() -> None:
        try:
            result = envelope(
                RetCode.SUCCESS, "success", _upload(service, kinds, progress)
            )
        except LineageError as exc:
            log.warning("dependency upload failed: %s", exc.message)
            result = envelope(exc.retcode, exc.message, exc.details)
        # The stream has started, so no error handler can respond any more,
        # and the last line must still carry an envelope.
        except Exception:
            log.exception("dependency upload failed unexpectedly")
            result = envelope(
                RetCode.SERVER_ERROR,
                "internal server error; the service log has the details",
            )
        lines.put(result)
        lines.put(None)

    threading.Thread(target=work, name="dependency-upload", daemon=True).start()
    while (line := lines.get()) is not None:
        yield json.dumps(line) + "\n"
