"""The README's demo: ``flow`` alone records and queries a FATE example."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

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
    demo_env: dict[str, str], scope: TrackingScope, tmp_path: Path
) -> None:
    ns = scope.namespace
    flow_env = demo_env
    example = EXAMPLES / "fate" / "hetero_logistic_regression"
    job_conf = scoped_copy(
        example / "hetero_lr_normal_conf.json", tmp_path / "conf.json", ns
    )

    uploaded = [
        flow_ok(flow_env, "table", "info", "-t", name, "-n", ns)
        for name in ("breast_hetero_guest", "motor_hetero_host")
    ]
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

    assert [table["row_count"] for table in uploaded] == [30, 24]
    assert uploaded[0]["columns"][:3] == ["id", "y", "x0"]
    assert simulated["status"] == "success"
    assert [item["source_table_name"] for item in sources] == ["breast_hetero_guest"]
    assert sources[0]["parent_table_namespace"] == (
        f"output_data_{job_id}_intersection_0_0"
    )
    assert jobs == {"count": 1, "job": [job_id]}
    assert mermaid.startswith("flowchart")
    assert mermaid.count("-->") == 3


def run_job_with_flow(
    environ: dict[str, str], scope: TrackingScope, dsl: Path, conf: Path
) -> dict[str, Any]:
    submitted = flow_ok(environ, "job", "submit", "-d", str(dsl), "-c", str(conf))
    scope.extra_job_ids.append(submitted["job_id"])
    result: dict[str, Any] = flow_ok(
        environ, "job", "simulate", "-j", submitted["job_id"]
    )
    return result


def guest_output(
    environ: dict[str, str], job_id: str, component: str
) -> list[dict[str, str]]:
    outputs: list[dict[str, str]] = flow_ok(
        environ,
        "tracking",
        "output-data-table",
        "-j",
        job_id,
        "-r",
        "guest",
        "-p",
        "9999",
        "-cpn",
        component,
    )
    return outputs


def sources_of(environ: dict[str, str], output: dict[str, str]) -> list[Any]:
    sources: list[Any] = flow_ok(
        environ,
        "table",
        "tracking-source",
        "-t",
        output["table_name"],
        "-n",
        output["table_namespace"],
    )
    return sources


@pytest.fixture
def demo_env(
    settings: Settings, flow_env: dict[str, str], scope: TrackingScope, tmp_path: Path
) -> dict[str, str]:
    """Return a flow environment whose service has the uploaded demo tables."""
    flow_env["FATE_LINEAGE_FLOW_IP"] = settings.service.host
    flow_env["FATE_LINEAGE_FLOW_PORT"] = str(settings.service.http_port)
    upload_conf = scoped_copy(
        EXAMPLES / "upload_demo.json", tmp_path / "up.json", scope.namespace
    )
    subprocess.run(
        [FLOW, "data", "upload", "-c", str(upload_conf)],
        capture_output=True,
        text=True,
        env=flow_env,
        cwd=EXAMPLES.parent,
        timeout=60,
        check=True,
    )
    return flow_env


def test_union_and_split_with_flow(
    demo_env: dict[str, str], scope: TrackingScope, tmp_path: Path
) -> None:
    union = EXAMPLES / "fate" / "union"
    split = EXAMPLES / "fate" / "data_split"
    union_conf = scoped_copy(
        union / "test_union_job_conf.json", tmp_path / "union.json", scope.namespace
    )
    split_conf = scoped_copy(
        split / "test_hetero_data_split_job_conf.json",
        tmp_path / "split.json",
        scope.namespace,
    )

    union_job = run_job_with_flow(
        demo_env, scope, union / "test_union_job_dsl.json", union_conf
    )
    split_job = run_job_with_flow(
        demo_env, scope, split / "test_hetero_data_split_job_dsl.json", split_conf
    )
    [union_output] = guest_output(demo_env, union_job["job_id"], "union_0")
    split_outputs = guest_output(demo_env, split_job["job_id"], "hetero_data_split_0")
    [split_output] = [o for o in split_outputs if o["data_name"] == "train_data"]

    union_sources = sources_of(demo_env, union_output)
    split_sources = sources_of(demo_env, split_output)

    assert len(union_sources) == 2
    assert {s["source_table_name"] for s in union_sources} == {"breast_hetero_guest"}
    assert len(split_outputs) == 3
    assert [s["source_table_name"] for s in split_sources] == ["motor_hetero_guest"]


def test_second_job_with_flow(
    demo_env: dict[str, str], scope: TrackingScope, tmp_path: Path
) -> None:
    example = EXAMPLES / "fate" / "hetero_logistic_regression"
    dsl = example / "hetero_lr_normal_dsl.json"
    first_conf = scoped_copy(
        example / "hetero_lr_normal_conf.json", tmp_path / "first.json", scope.namespace
    )
    first = run_job_with_flow(demo_env, scope, dsl, first_conf)
    [model_output] = guest_output(demo_env, first["job_id"], "hetero_lr_0")
    conf = json.loads(first_conf.read_text(encoding="utf-8"))
    conf["component_parameters"]["role"]["guest"]["0"]["reader_0"]["table"] = {
        "name": model_output["table_name"],
        "namespace": model_output["table_namespace"],
    }
    second_conf = tmp_path / "second.json"
    second_conf.write_text(json.dumps(conf), encoding="utf-8")

    second = run_job_with_flow(demo_env, scope, dsl, second_conf)
    [reader_output] = guest_output(demo_env, second["job_id"], "reader_0")
    sources = sources_of(demo_env, reader_output)
    jobs = flow_ok(
        demo_env,
        "table",
        "tracking-job",
        "-t",
        model_output["table_name"],
        "-n",
        model_output["table_namespace"],
    )

    assert [s["parent_table_name"] for s in sources] == [model_output["table_name"]]
    assert [s["source_table_name"] for s in sources] == ["breast_hetero_guest"]
    assert jobs["job"][0] == second["job_id"]
