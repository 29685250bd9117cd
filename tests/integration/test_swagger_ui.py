"""Swagger UI of the running API, in headless Chromium.

The page is served by the stack's gunicorn, and the table it queries is
recorded through the test client in the same Neo4j.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from tests.integration import chromium
from tests.integration.chromium import open_page
from tests.integration.conftest import hetero_lr_example

if TYPE_CHECKING:
    from pathlib import Path

    from flask.testing import FlaskClient

    from fate_lineage.conf import Settings
    from tests.integration.conftest import TrackingScope

# Swagger UI fetches the API document and renders it after the page loads.
RENDER_TIMEOUT_MS = 30_000


def ok(client: FlaskClient, path: str, body: Any) -> Any:
    response = client.post(path, json=body)
    reply = response.get_json()
    assert response.status_code == 200, reply
    assert reply["retcode"] == 0, reply
    return reply["data"]


def record_demo_job(client: FlaskClient, scope: TrackingScope) -> dict[str, str]:
    """Record the hetero-LR example and return the guest outputs by component."""
    for name in ("breast_hetero_guest", "breast_hetero_host"):
        ok(
            client,
            "/v1/data/upload",
            {"table_name": name, "namespace": scope.namespace},
        )
    dsl, conf = hetero_lr_example(scope.namespace)
    job_id = scope.job_id("swagger")
    ok(client, "/v1/job/submit", {"dsl": dsl, "runtime_conf": conf, "job_id": job_id})
    ok(client, "/v1/job/simulate", {"job_id": job_id})

    outputs = {}
    for component in ("intersection_0", "hetero_lr_0"):
        [output] = ok(
            client,
            "/v1/tracking/component/output/data/table",
            {
                "job_id": job_id,
                "role": "guest",
                "party_id": "9999",
                "component_name": component,
            },
        )
        outputs[f"{component}.name"] = output["table_name"]
        outputs[f"{component}.namespace"] = output["table_namespace"]
    return outputs


def test_swagger_ui_runs_tracking_source(
    settings: Settings, client: FlaskClient, scope: TrackingScope
) -> None:
    outputs = record_demo_job(client, scope)
    service = f"http://{settings.service.host}:{settings.service.http_port}"
    request = {
        "table_name": outputs["hetero_lr_0.name"],
        "namespace": outputs["hetero_lr_0.namespace"],
    }

    with open_page() as page:
        page.goto(f"{service}/docs/")
        page.locator(".opblock-tag").first.wait_for(timeout=RENDER_TIMEOUT_MS)
        tags = page.locator(".opblock-tag").evaluate_all(
            "tags => tags.map(tag => tag.dataset.tag)"
        )
        page.locator("#operations-tag-table").click()
        paths = page.locator("#operations-tag-table ~ div .opblock-summary-path")
        paths.first.wait_for()
        table_paths = paths.evaluate_all("items => items.map(i => i.dataset.path)")

        operation = page.locator("#operations-table-post_tracking_source")
        operation.locator(".opblock-summary").click()
        operation.get_by_role("button", name="Try it out").click()
        operation.locator("textarea.body-param__text").fill(json.dumps(request))
        operation.get_by_role("button", name="Execute").click()
        live = operation.locator(".live-responses-table tbody tr.response")
        live.first.wait_for(timeout=RENDER_TIMEOUT_MS)
        status = live.locator(".response-col_status").first.inner_text()
        response_body = live.locator(".response-col_description pre").first.inner_text()

    reply = json.loads(response_body)
    assert {"health", "table", "job", "tracking", "resource"} <= set(tags)
    assert "/v1/table/tracking/source" in table_paths
    assert "/v1/table/lineage" in table_paths
    assert status.strip() == "200"
    assert reply["retcode"] == 0
    assert reply["data"] == [
        {
            "parent_table_name": outputs["intersection_0.name"],
            "parent_table_namespace": outputs["intersection_0.namespace"],
            "source_table_name": "breast_hetero_guest",
            "source_table_namespace": scope.namespace,
        }
    ]


def test_missing_chromium_fails_under_ci(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(chromium, "CHROMIUM", tmp_path / "chromium")
    monkeypatch.setenv("CI", "true")

    with pytest.raises(pytest.fail.Exception, match="apt-get install chromium"):
        chromium.require_chromium()


def test_missing_chromium_skips_outside_ci(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(chromium, "CHROMIUM", tmp_path / "chromium")
    monkeypatch.delenv("CI", raising=False)

    with pytest.raises(pytest.skip.Exception, match="apt-get install chromium"):
        chromium.require_chromium()
