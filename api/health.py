"""Liveness and readiness probes."""

from __future__ import annotations

from flask import current_app
from flask_restx import Namespace, Resource, fields

from fate_lineage.api.envelope import Response, envelope, success
from fate_lineage.errors import RetCode
from fate_lineage.readiness import check_backends

ns = Namespace("health", description="Liveness and readiness probes")

envelope_model = ns.model(
    "Envelope",
    {
        "retcode": fields.Integer(description="0 on success, else FATE's retcode"),
        "retmsg": fields.String(description="What happened, and what to do next"),
        "data": fields.Raw(description="The result; null on most errors"),
    },
)


@ns.route("healthz")
class Health(Resource):
    @ns.response(200, "The process is up", envelope_model)
    def get(self) -> Response:
        """Report that the process is up; touches no backend."""
        return success({"status": "up"})


@ns.route("readyz")
class Ready(Resource):
    @ns.response(200, "Neo4j and Redis both answer", envelope_model)
    @ns.response(503, "A backend is down; retmsg names it", envelope_model)
    def get(self) -> Response:
        """Check Neo4j and Redis, each within its connection timeout."""
        backends = current_app.extensions["fate_lineage"]
        states = check_backends(backends.graph, backends.redis, backends.settings)
        down = [name for name, state in states.items() if not state["ready"]]
        if not down:
            return success(states, retmsg="ready")
        reasons = " ".join(states[name]["reason"] for name in down)
        return envelope(RetCode.CONNECTION_ERROR, f"not ready: {reasons}", states), 503
