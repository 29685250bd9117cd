"""A route that does no work, to measure the HTTP layer's own ceiling.

The benchmarks compare each endpoint's rate with this one's. It is a plain
Flask route, so it stays out of the OpenAPI document.
"""

from __future__ import annotations

from flask import Blueprint, request

from fate_lineage.api.envelope import Response, success

blueprint = Blueprint("noop", __name__)


@blueprint.route("/bench/noop", methods=["GET", "POST"])
def noop() -> Response:
    """Parse a JSON body if one came and return an empty success envelope."""
    request.get_json(silent=True)
    return success()
