from __future__ import annotations

import pytest

from fate_lineage.api.app import create_app
from fate_lineage.api.auth import is_open
from fate_lineage.api.permissions import (
    PARTY_RULES,
    READ_ENDPOINTS,
    _job_id_candidates,
)
from fate_lineage.conf import load_settings


@pytest.mark.parametrize(
    "path",
    ["/healthz", "/readyz", "/metrics", "/swagger.json", "/docs", "/docs/"],
)
def test_open_path(path: str) -> None:
    assert is_open(path)


@pytest.mark.parametrize(
    "path",
    ["/docsx", "/healthz/", "/metrics/x", "/v1/table/list", "/", "/swagger.jsonx"],
)
def test_signed_path(path: str) -> None:
    assert not is_open(path)


def test_swagger_assets_are_open() -> None:
    assert is_open("/swaggerui/swagger-ui-bundle.js")


def test_job_id_candidates_shortest_first() -> None:
    candidates = list(_job_id_candidates("202612041652109121000_hetero_lr_0_0"))

    assert candidates == [
        "202612041652109121000",
        "202612041652109121000_hetero",
        "202612041652109121000_hetero_lr",
        "202612041652109121000_hetero_lr_0",
    ]


def test_job_id_candidates_are_bounded() -> None:
    assert len(list(_job_id_candidates("a_" * 50))) == 8


def test_job_id_candidates_need_underscore() -> None:
    assert list(_job_id_candidates("202612041652109121000")) == []


def test_read_endpoints_all_have_party_rules() -> None:
    # A read-only, party-limited key can then make every read it is allowed.
    missing = sorted(
        path
        for path in READ_ENDPOINTS
        if path not in PARTY_RULES and path != "/v1/resource/query"
    )

    assert missing == []


def test_rule_paths_are_routes() -> None:
    app = create_app(load_settings(environ={}))
    routes = {rule.rule for rule in app.url_map.iter_rules()}

    assert sorted(set(PARTY_RULES) - routes) == []
    assert sorted(READ_ENDPOINTS - routes) == []
