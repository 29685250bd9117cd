"""The OpenAPI document states what the request schemas enforce.

The app is built without touching Neo4j or Redis: the clients connect
lazily, and the requests here fail validation before any backend is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from fate_lineage.api.app import create_app
from fate_lineage.api.models import ERROR_RESPONSES
from fate_lineage.conf import load_settings

if TYPE_CHECKING:
    from flask.testing import FlaskClient

ENVELOPE = {"$ref": "#/definitions/Envelope"}


@pytest.fixture(scope="module")
def client() -> FlaskClient:
    return create_app(load_settings(environ={})).test_client()


@pytest.fixture(scope="module")
def document(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/swagger.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.get_json()
    return body


def test_every_post_documents_envelope_statuses(document: dict[str, Any]) -> None:
    posts = {
        path: item["post"] for path, item in document["paths"].items() if "post" in item
    }

    assert len(posts) > 20
    for path, operation in posts.items():
        responses = operation["responses"]
        for status in ("200", *map(str, ERROR_RESPONSES)):
            assert responses.get(status, {}).get("schema") == ENVELOPE, (path, status)


def test_readyz_keeps_its_own_responses(document: dict[str, Any]) -> None:
    responses = document["paths"]["/readyz"]["get"]["responses"]

    assert set(responses) == {"200", "503"}
    assert responses["503"]["description"].startswith("A backend is down")


def test_envelope_data_takes_any_type(document: dict[str, Any]) -> None:
    envelope = document["definitions"]["Envelope"]

    assert envelope["required"] == ["retcode", "retmsg"]
    assert "type" not in envelope["properties"]["data"]


def test_dependency_upload_has_its_own_model(document: dict[str, Any]) -> None:
    operation = document["paths"]["/v1/dependency/upload"]["post"]
    model = operation["parameters"][0]["schema"]["$ref"].rsplit("/", 1)[1]

    assert model == "DependencyUpload"
    assert set(document["definitions"]["DependencyUpload"]["properties"]) == {"type"}
    assert "table_name" in document["definitions"]["Upload"]["properties"]


def test_models_carry_validators(document: dict[str, Any]) -> None:
    definitions = document["definitions"]
    report = definitions["TaskReport"]
    lineage = definitions["Lineage"]

    assert report["additionalProperties"] is False
    assert report["properties"]["job_id"]["pattern"] == "^(?:[A-Za-z0-9_-]{1,64})$"
    assert report["properties"]["status"]["enum"] == ["running", "success", "failed"]
    assert report["properties"]["task_version"]["maximum"] == 1_000_000
    assert lineage["properties"]["table_name"]["maxLength"] == 512
    assert lineage["properties"]["depth"]["minimum"] == 1
    # FATE's upload conf carries extra keys, which the schema ignores.
    assert "additionalProperties" not in definitions["Upload"]


@pytest.mark.parametrize(
    "job_id",
    ["a b", "x'}) DETACH DELETE n //", "a" * 65, "job\n"],
    ids=["space", "cypher", "too-long", "newline"],
)
def test_job_id_must_match_whole(client: FlaskClient, job_id: str) -> None:
    response = client.post("/v1/job/query", json={"job_id": job_id})
    body = response.get_json()

    assert response.status_code == 400
    assert body["retcode"] == 101
    assert "Invalid job id" in body["retmsg"]
