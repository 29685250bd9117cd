"""The README's demo: ``flow`` alone records and queries a FATE example."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.integration.conftest import FLOW, run_flow

if TYPE_CHECKING:
    from fate_lineage.conf import Settings
    from tests.integration.conftest import TrackingScope

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def scoped_copy(source: Path, target: Path, namespace: str) -> Path:
    """Write ``source`` to ``target`` with namespace experiment renamed."""
    text = source.read_text(encoding="utf-8")
    target.write_text(
        text.replace('"experiment"', json.dumps(namespace)), encoding="utf-8"
    )
    return target


def flow_ok(environ: dict[str, str], *args: str) -> Any:
    code, reply = run_flow(environ, *args)
    assert code == 0, reply
    assert reply["retcode"] == 0, reply
    return reply["data"]


def test_demo_with_flow_alone(
    settings: Settings,
    flow_env: dict[str, str],
    scope: TrackingScope,
    tmp_path: Path,
) -> None:
    ns = scope.namespace
    example = EXAMPLES / "fate" / "hetero_logistic_regression"
    upload_conf = scoped_copy(EXAMPLES / "upload_demo.json", tmp_path / "up.json", ns)
    job_conf = scoped_copy(
        example / "hetero_lr_normal_conf.json", tmp_path / "conf.json", ns
    )
    flow_env["FATE_LINEAGE_FLOW_IP"] = settings.service.host
    flow_env["FATE_LINEAGE_FLOW_PORT"] = str(settings.service.http_port)

    uploads = subprocess.run(
        [FLOW, "data", "upload", "-c", str(upload_conf)],
        capture_output=True,
        text=True,
        env=flow_env,
        cwd=EXAMPLES.parent,
        timeout=60,
        check=True,
    )
    submitted = flow_ok(
        flow_env,
        "job",
        "submit",
        "-d",
        str(example / "hetero_lr_normal_dsl.json"),
        "-c",
        str(job_conf),
    )
    job_id = submitted["job_id"]
    scope.extra_job_ids.append(job_id)
    simulated = flow_ok(flow_env, "job", "simulate", "-j", job_id)
    [output] = flow_ok(
        flow_env,
        "tracking",
        "output-data-table",
        "-j",
        job_id,
        "-r",
        "guest",
        "-p",
        "9999",
        "-cpn",
        "hetero_lr_0",
    )
    sources = flow_ok(
        flow_env,
        "table",
        "tracking-source",
        "-t",
        output["table_name"],
        "-n",
        output["table_namespace"],
    )
    jobs = flow_ok(
        flow_env, "table", "tracking-job", "-t", "breast_hetero_guest", "-n", ns
    )
    mermaid = subprocess.run(
        [
            FLOW,
            "table",
            "lineage",
            "-t",
            output["table_name"],
            "-n",
            output["table_namespace"],
            "--depth",
            "3",
            "--format",
            "mermaid",
        ],
        capture_output=True,
        text=True,
        env=flow_env,
        timeout=60,
        check=True,
    ).stdout

    registered = json.loads(uploads.stdout)["data"]
    assert [item["data"]["row_count"] for item in registered] == [30, 30, 24, 24]
    assert simulated["status"] == "success"
    assert [item["source_table_name"] for item in sources] == ["breast_hetero_guest"]
    assert sources[0]["parent_table_namespace"] == (
        f"output_data_{job_id}_intersection_0_0"
    )
    assert jobs == {"count": 1, "job": [job_id]}
    assert mermaid.startswith("flowchart")
    assert mermaid.count("-->") == 3
