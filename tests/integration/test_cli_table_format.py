"""``flow --format table`` against the real service: a tracking query of a job."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from fate_lineage.cli.tabular import render_envelope
from tests.integration.conftest import FLOW, run_flow
from tests.integration.test_cli_tracking import flow_ok, scoped_copy

if TYPE_CHECKING:
    from fate_lineage.conf import Settings
    from tests.integration.conftest import TrackingScope

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
LR = EXAMPLES / "fate" / "hetero_logistic_regression"


def flow_table(environ: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [FLOW, *args, "--format", "table"],
        capture_output=True,
        text=True,
        env=environ,
        timeout=60,
    )


def upload_conf(path: Path, namespace: str) -> Path:
    tables = ["breast_hetero_guest", "breast_hetero_host"]
    confs = [
        {
            "file": str(EXAMPLES / "data" / f"{name}.csv"),
            "head": 1,
            "partition": 4,
            "table_name": name,
            "namespace": namespace,
        }
        for name in tables
    ]
    path.write_text(json.dumps({"data": confs}), encoding="utf-8")
    return path


def test_tracking_source_as_table(
    service_flow_env: dict[str, str],
    scope: TrackingScope,
    tmp_path: Path,
) -> None:
    ns = scope.namespace
    uploads = upload_conf(tmp_path / "up.json", ns)
    job_conf = scoped_copy(LR / "hetero_lr_normal_conf.json", tmp_path / "c.json", ns)
    dsl = LR / "hetero_lr_normal_dsl.json"

    flow_ok(service_flow_env, "data", "upload", "-c", str(uploads))
    submitted = flow_ok(
        service_flow_env, "job", "submit", "-d", str(dsl), "-c", str(job_conf)
    )
    job_id = submitted["job_id"]
    scope.extra_job_ids.append(job_id)
    flow_ok(service_flow_env, "job", "simulate", "-j", job_id)
    task = ["-j", job_id, "-r", "guest", "-p", "9999", "-cpn", "hetero_lr_0"]
    [output] = flow_ok(service_flow_env, "tracking", "output-data-table", *task)
    query = ["table", "tracking-source", "-t", output["table_name"]]
    query += ["-n", output["table_namespace"]]

    code, reply = run_flow(service_flow_env, *query)
    table = flow_table(service_flow_env, *query)
    lines = table.stdout.splitlines()
    parent = f"output_data_{job_id}_intersection_0_0"

    assert code == 0
    assert table.returncode == 0, table.stderr
    assert table.stdout == render_envelope(reply)
    assert len(lines) == 3
    assert lines[0].split() == [
        "parent_table_name",
        "parent_table_namespace",
        "source_table_name",
        "source_table_namespace",
    ]
    assert set(lines[1]) == {"-", " "}
    assert lines[2].split()[1:] == [parent, "breast_hetero_guest", ns]


def test_unknown_table_as_table_exits_1(
    settings: Settings, flow_env: dict[str, str], scope: TrackingScope
) -> None:
    flow_env["FATE_LINEAGE_FLOW_IP"] = settings.service.host
    flow_env["FATE_LINEAGE_FLOW_PORT"] = str(settings.service.http_port)
    query = ["table", "tracking-job", "-t", "absent", "-n", scope.namespace]

    table = flow_table(flow_env, *query)
    lines = table.stdout.splitlines()

    assert table.returncode == 1
    assert lines[0] == "retcode  100"
    assert lines[1].startswith("retmsg   no found table: table name absent")
