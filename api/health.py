"""Liveness and readiness probes."""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app
from flask_restx import Namespace, Resource

from fate_lineage.api.envelope import Response, envelope, success
from fate_lineage.api.models import envelope_model
from fate_lineage.errors import RetCode
from fate_lineage.readiness import check_backends

log = logging.getLogger(__name__)

ns = Namespace("health", description="Liveness and readiness probes")


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
        _log_change(down, states)
        if not down:
            return success(states, retmsg="ready")
        reasons = " ".join(states[name]["reason"] for name in down)
        return envelope(RetCode.CONNECTION_ERROR, f"not ready: {reasons}", states), 503


_last_down: list[str] = []


def _log_change(down: list[str], states: dict[str, dict[str, Any]]) -> None:
    """Log when a backend goes down or comes back, once per change per process."""
    global _last_down
    if down == _last_down:
        return
    for name in down:
        if name not in _last_down:
            log.warning("readiness: %s", states[name]["reason"])
    for name in _last_down:
        if name not in down:
            log.info("readiness: %s responds again", name)
    _last_down = down
