"""The benchmark command at its smoke size, against the stack's API.

Speed is not checked: the test checks that the run finishes, writes its JSON,
page and plots, and that the figures are present and plausible.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from fate_lineage.conf import Settings

ROOT = Path(__file__).resolve().parents[2]
QUERIES = ("tracking_source", "tracking_job", "lineage_depth_3", "lineage_depth_20")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def smoke_run(
    settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> tuple[dict[str, Any], Path]:
    folder = tmp_path_factory.mktemp("benchmarks")
    url = f"http://{settings.service.host}:{settings.service.http_port}"
    finished = subprocess.run(
        [
            sys.executable, "-m", "bench.run_all", "--smoke", "--url", url,
            "--results-dir", str(folder), "--doc", str(folder / "benchmarks.md"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )  # fmt: skip
    assert finished.returncode == 0, finished.stderr[-4000:]
    results = json.loads((folder / "benchmarks.json").read_text())
    return results, folder


def test_smoke_graph_size(smoke_run: tuple[dict[str, Any], Path]) -> None:
    size = smoke_run[0]["sizes"][0]
    assert size["tables"] >= 1000
    assert size["edges"] > size["tasks"] > size["jobs"] > 0
    assert size["nodes_left_after_delete"] == 0


def test_smoke_ingest_rates(smoke_run: tuple[dict[str, Any], Path]) -> None:
    ingest = smoke_run[0]["ingest"]
    for mode in ("fate_one_by_one", "openlineage_one_by_one", "batched"):
        assert ingest[mode]["tables"] >= 100
        assert ingest[mode]["tables_per_s"] > 0
        assert ingest[mode]["edges"] > 0
    assert ingest["fate_one_by_one"]["requests"] > 0
    assert ingest["openlineage_one_by_one"]["events"] > 0
    assert ingest["batched_over_fate"] > 0
    assert ingest["batched_over_openlineage"] > 0


@pytest.mark.parametrize("query", QUERIES)
def test_smoke_query_latencies(
    smoke_run: tuple[dict[str, Any], Path], query: str
) -> None:
    results = smoke_run[0]
    figures = results["sizes"][0]["queries"][query]
    clients = {"api", "raw", "sql"} if query.startswith("lineage") else {"api", "raw"}
    assert results["sql_peer"]["status"] == "ran", results["sql_peer"]
    assert set(figures) == clients
    for values in figures.values():
        assert values["count"] == results["samples"]
        assert 0 < values["p50_ms"] <= values["p95_ms"] <= values["p99_ms"]
        assert values["p99_ms"] <= values["max_ms"]


def test_smoke_http_floor(smoke_run: tuple[dict[str, Any], Path]) -> None:
    results = smoke_run[0]
    floor = results["sizes"][0]["http_floor"]
    assert floor["count"] == results["samples"]
    assert 0 < floor["p50_ms"] <= floor["max_ms"]


def test_smoke_resources_all_returned(
    smoke_run: tuple[dict[str, Any], Path],
) -> None:
    resources = smoke_run[0]["resources"]
    for side in ("api", "lua"):
        assert resources[side]["pairs_per_s"] > 0
        assert resources[side]["remaining_cores_min"] >= 0
        assert resources["after"][side]["all_returned"] is True
        assert resources["after"][side]["jobs_in_use"] == 0
    assert resources["noop"]["pairs_per_s"] > 0
    assert resources["redis_benchmark"]["requests_per_s"] > 0


def test_smoke_targets_judged(smoke_run: tuple[dict[str, Any], Path]) -> None:
    targets = smoke_run[0]["targets"]
    assert len(targets) == 7
    assert all(isinstance(item["met"], bool) for item in targets)


def test_smoke_page_and_plots(smoke_run: tuple[dict[str, Any], Path]) -> None:
    folder = smoke_run[1]
    page = (folder / "benchmarks.md").read_text()
    for heading in ("## Targets", "## Ingest", "## Queries", "## SQL peer"):
        assert heading in page
    plots = sorted((folder / "benchmarks").glob("*.png"))
    assert [plot.name for plot in plots] == [
        "growth_p50.png",
        "queries_p50.png",
        "resources.png",
    ]
    for plot in plots:
        assert plot.read_bytes().startswith(PNG_SIGNATURE)
