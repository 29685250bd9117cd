"""The error handler turns every exception into the envelope and a status.

These tests build the app without touching Neo4j or Redis: the clients
connect lazily and no route here uses them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NoReturn

import pytest
from flask_restx import Resource

from fate_lineage import errors
from fate_lineage.api.app import api_of, create_app
from fate_lineage.conf import load_settings

if TYPE_CHECKING:
    from flask.testing import FlaskClient


@pytest.fixture(scope="module")
def client() -> FlaskClient:
    app = create_app(load_settings(environ={}))

    @api_of(app).route("/test/raise/<string:kind>")
    class Raise(Resource):
        def get(self, kind: str) -> NoReturn:
            raise RAISED[kind]

    return app.test_client()


RAISED: dict[str, Exception] = {
    "invalid": errors.InvalidInput(
        "job_id is missing", details={"job_id": ["required"]}
    ),
    "not-found": errors.NotFound("no found table: table name t, table namespace n"),
    "conflict": errors.Conflict("job j is running"),
    "insufficient": errors.InsufficientResources("not enough cores"),
    "backend": errors.BackendUnavailable("redis", "connection refused"),
    "unexpected": RuntimeError("secret internals"),
}


@pytest.mark.parametrize(
    ("kind", "status", "retcode"),
    [
        ("invalid", 400, 101),
        ("not-found", 404, 100),
        ("conflict", 409, 103),
        ("insufficient", 409, 103),
        ("backend", 503, 105),
        ("unexpected", 500, 500),
    ],
)
def test_error_maps_to_status_and_retcode(
    client: FlaskClient, kind: str, status: int, retcode: int
) -> None:
    response = client.get(f"/test/raise/{kind}")
    body = response.get_json()

    assert response.status_code == status
    assert set(body) == {"retcode", "retmsg", "data"}
    assert body["retcode"] == retcode


def test_error_details_go_to_data(client: FlaskClient) -> None:
    body = client.get("/test/raise/invalid").get_json()

    assert body["retmsg"] == "job_id is missing"
    assert body["data"] == {"job_id": ["required"]}


def test_unexpected_error_hides_internals(client: FlaskClient) -> None:
    body = client.get("/test/raise/unexpected").get_json()

    assert "secret internals" not in body["retmsg"]
    assert "service log" in body["retmsg"]


def test_backend_error_names_backend_and_retry(client: FlaskClient) -> None:
    response = client.get("/test/raise/backend")
    body = response.get_json()

    assert body["retmsg"].startswith("redis is unavailable: connection refused")
    assert "Retry in a few seconds" in body["retmsg"]
    assert body["data"] == {"backend": "redis"}
    assert response.headers["Retry-After"] == "5"


@pytest.mark.parametrize(
    ("method", "path", "status", "expected"),
    [
        ("get", "/no/such/route", 404, "no endpoint at /no/such/route"),
        ("post", "/healthz", 405, "POST is not allowed on /healthz"),
    ],
)
def test_routing_error_uses_envelope(
    client: FlaskClient, method: str, path: str, status: int, expected: str
) -> None:
    response = getattr(client, method)(path)
    body = response.get_json()

    assert response.status_code == status
    assert body["retcode"] == 100
    assert expected in body["retmsg"]
    assert "message" not in body


def test_wrong_method_lists_allowed(client: FlaskClient) -> None:
    response = client.post("/healthz")

    assert response.headers["Allow"] == "GET, HEAD, OPTIONS"


def test_flask_404_keeps_envelope_order(client: FlaskClient) -> None:
    response = client.get("/")

    assert list(response.get_json()) == ["retcode", "retmsg", "data"]


def test_healthz_touches_no_backend(client: FlaskClient) -> None:
    body = client.get("/healthz").get_json()

    assert body == {"retcode": 0, "retmsg": "success", "data": {"status": "up"}}


def test_openapi_document_lists_probes(client: FlaskClient) -> None:
    document = client.get("/swagger.json").get_json()

    assert {"/healthz", "/readyz"} <= set(document["paths"])
    assert set(document["definitions"]["Envelope"]["properties"]) == {
        "retcode",
        "retmsg",
        "data",
    }


def test_swagger_ui_is_served(client: FlaskClient) -> None:
    response = client.get("/docs/")

    assert response.status_code == 200
    assert b"swagger" in response.data.lower()
