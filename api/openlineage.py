"""OpenLineage ingestion at the path the OpenLineage HTTP transport posts to."""

from __future__ import annotations

import zlib
from typing import Any

from flask import current_app, request
from flask_restx import Namespace, Resource, fields
from werkzeug.exceptions import RequestEntityTooLarge

from fate_lineage.api.envelope import Response, envelope, success
from fate_lineage.api.metrics import count_ingest
from fate_lineage.api.schemas import parse_json
from fate_lineage.errors import InvalidInput, LineageError, RetCode

ns = Namespace(
    "openlineage",
    description="RunEvent, JobEvent and DatasetEvent of the OpenLineage spec 2-0-x",
)

event_model = ns.model(
    "OpenLineageEvent",
    {
        "eventTime": fields.String(required=True, example="2024-05-01T10:00:00Z"),
        "producer": fields.String(required=True),
        "schemaURL": fields.String(required=True),
        "eventType": fields.String(
            enum=["START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER"]
        ),
        "run": fields.Raw(description="RunEvent: {runId, facets}"),
        "job": fields.Raw(
            description="RunEvent and JobEvent: {namespace, name, facets}"
        ),
        "inputs": fields.List(fields.Raw),
        "outputs": fields.List(fields.Raw),
        "dataset": fields.Raw(description="DatasetEvent: {namespace, name, facets}"),
    },
)


def _ingest() -> Any:
    return current_app.extensions["fate_lineage"].openlineage


@ns.route("")
class Lineage(Resource):
    @ns.expect(event_model)
    def post(self) -> Response:
        """Record one OpenLineage event.

        A run's datasets become tables with the edges FATE tasks make, so
        tracking-source, tracking-job and the lineage query work on them.
        Sending an event again, or events out of order, gives the same graph.
        """
        event = parse_json(_read_body())
        try:
            summary = _ingest().ingest(event)
        except LineageError as exc:
            outcome = "rejected" if isinstance(exc, InvalidInput) else "failed"
            count_ingest(_event_type(event), outcome)
            raise
        count_ingest(_event_type(event), "recorded")
        return success(summary)


@ns.route("/batch")
class LineageBatch(Resource):
    @ns.expect([event_model])
    def post(self) -> Response:
        """Record a JSON array of events; count those recorded and rejected.

        Each rejected event is listed with its index and reason, and the
        others are still recorded: retcode 0 when none was rejected, 101 when
        some were. At most 1000 events per batch.
        """
        events = parse_json(_read_body())
        try:
            result = _ingest().ingest_batch(events).as_dict()
        except LineageError as exc:
            if not isinstance(exc, InvalidInput) and isinstance(events, list):
                for event in events:
                    count_ingest(_event_type(event), "failed")
            raise
        rejected = {failure["index"] for failure in result["failures"]}
        for index, event in enumerate(events):
            outcome = "rejected" if index in rejected else "recorded"
            count_ingest(_event_type(event), outcome)
        if not result["failed"]:
            return success(result)
        retmsg = (
            f"{result['failed']} of {result['received']} events were rejected "
            f"and {result['succeeded']} recorded; see data.failures"
        )
        status = 400 if result["succeeded"] == 0 else 200
        return envelope(RetCode.ARGUMENT_ERROR, retmsg, result), status


def _event_type(event: Any) -> str | None:
    """Return the eventType to count an event under, None when it has none."""
    if isinstance(event, dict) and isinstance(event.get("eventType"), str):
        return str(event["eventType"])
    return None


def _read_body() -> bytes:
    """Return the request body, unpacked when it is sent gzip-compressed.

    The OpenLineage HTTP transport can compress with gzip. The unpacked body
    has the same size limit as a plain one.
    """
    raw = request.get_data(cache=True)
    encoding = request.headers.get("Content-Encoding", "identity").lower()
    if encoding == "identity":
        return raw
    if encoding != "gzip":
        raise InvalidInput(
            f"Content-Encoding {encoding!r} is not supported; send the body "
            "plain or with gzip"
        )
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    unpacker = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        body = unpacker.decompress(raw, limit + 1)
    except zlib.error as exc:
        raise InvalidInput(
            f"the body is marked gzip but is not valid gzip data: {exc}"
        ) from None
    if len(body) > limit:
        raise RequestEntityTooLarge()
    return body
