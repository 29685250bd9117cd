from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from fate_lineage.cli import http
from fate_lineage.cli.config import ServerAddress
from fate_lineage.cli.main import flow
from fate_lineage.cli.output import FORMAT_VARIABLE

SUCCESS = {"retcode": 0, "retmsg": "success", "data": {"ok": True}}
NOT_FOUND = {
    "retcode": 100,
    "retmsg": "no found table: table name t, table namespace ns",
    "data": None,
}
LINEAGE = {
    "table": {"namespace": "experiment", "name": "t"},
    "direction": "up",
    "depth": 3,
    "node_budget": 1000,
    "as_of": None,
    "truncated": False,
    "nodes": [
        {"namespace": "experiment", "name": "t", "side": "self", "hops": 0},
        {"namespace": "experiment", "name": "a", "side": "up", "hops": 1},
    ],
    "edges": [
        {
            "child": {"namespace": "experiment", "name": "t"},
            "parent": {"namespace": "experiment", "name": "a"},
            "job_id": "202201",
            "component": "union_0",
            "role": "guest",
            "party_id": 9999,
        }
    ],
}


@dataclass
class FakeTransport:
    """Stand-in for http.call: records each request and returns canned envelopes."""

    replies: list[dict[str, Any]] = field(default_factory=list)
    calls: list[tuple[str, str, Any]] = field(default_factory=list)
    addresses: list[ServerAddress] = field(default_factory=list)

    def __call__(
        self,
        address: ServerAddress,
        method: str,
        path: str,
        body: Any = None,
        timeout: float = http.TIMEOUT_SECONDS,
    ) -> dict[str, Any]:
        self.addresses.append(address)
        self.calls.append((method, path, body))
        return self.replies.pop(0) if self.replies else SUCCESS


@pytest.fixture
def transport(monkeypatch: pytest.MonkeyPatch) -> FakeTransport:
    fake = FakeTransport()
    monkeypatch.setattr(http, "call", fake)
    return fake


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("FATE_LINEAGE_FLOW_CONFIG", str(tmp_path / "absent.json"))
    monkeypatch.setenv("FATE_LINEAGE_FLOW_IP", "127.0.0.1")
    monkeypatch.setenv("FATE_LINEAGE_FLOW_PORT", "9380")
    monkeypatch.delenv(FORMAT_VARIABLE, raising=False)
    monkeypatch.chdir(tmp_path)
    return CliRunner()


def _write_json(path: Path, document: object) -> Path:
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def _reply(result: Result) -> dict[str, Any]:
    reply: dict[str, Any] = json.loads(result.output)
    return reply


# Commands whose options map one to one onto the request body.
OPTION_CASES = [
    pytest.param(
        ["table", "tracking-source", "-t", "t", "-n", "ns"],
        "/v1/table/tracking/source",
        {"table_name": "t", "namespace": "ns"},
        id="table-tracking-source",
    ),
    pytest.param(
        ["table", "tracking-job", "--table-name", "t", "--namespace", "ns"],
        "/v1/table/tracking/job",
        {"table_name": "t", "namespace": "ns"},
        id="table-tracking-job",
    ),
    pytest.param(
        ["table", "info", "-t", "t", "-n", "ns"],
        "/v1/table/table_info",
        {"table_name": "t", "namespace": "ns"},
        id="table-info",
    ),
    pytest.param(
        ["table", "lineage", "-t", "t", "-n", "ns"],
        "/v1/table/lineage",
        {"table_name": "t", "namespace": "ns", "direction": "up"},
        id="table-lineage-defaults",
    ),
    pytest.param(
        [
            "table",
            "lineage",
            "-t",
            "t",
            "-n",
            "ns",
            "--direction",
            "both",
            "--depth",
            "4",
            "--node-budget",
            "200",
            "--as-of",
            "2021-11-03T18:00:00+08:00",
        ],
        "/v1/table/lineage",
        {
            "table_name": "t",
            "namespace": "ns",
            "direction": "both",
            "depth": 4,
            "node_budget": 200,
            "as_of": "2021-11-03T18:00:00+08:00",
        },
        id="table-lineage-all-options",
    ),
    pytest.param(
        ["table", "jobs", "-t", "t", "-n", "ns"],
        "/v1/table/jobs",
        {"table_name": "t", "namespace": "ns"},
        id="table-jobs-defaults",
    ),
    pytest.param(
        [
            "table",
            "jobs",
            "-t",
            "t",
            "-n",
            "ns",
            "--page",
            "2",
            "--page-size",
            "20",
            "--since",
            "1635696000000",
            "--until",
            "2021-11-30",
        ],
        "/v1/table/jobs",
        {
            "table_name": "t",
            "namespace": "ns",
            "page": 2,
            "page_size": 20,
            "start_time": "1635696000000",
            "end_time": "2021-11-30",
        },
        id="table-jobs-all-options",
    ),
    pytest.param(["table", "list"], "/v1/table/list", {}, id="table-list-defaults"),
    pytest.param(
        [
            "table",
            "list",
            "--namespace-prefix",
            "output_data_",
            "--page",
            "3",
            "--page-size",
            "50",
        ],
        "/v1/table/list",
        {"namespace_prefix": "output_data_", "page": 3, "page_size": 50},
        id="table-list-all-options",
    ),
    pytest.param(
        ["job", "query", "-j", "202111031759294631020"],
        "/v1/job/query",
        {"job_id": "202111031759294631020"},
        id="job-query",
    ),
    pytest.param(
        ["job", "update", "-j", "202111031759294631020", "-s", "running"],
        "/v1/job/update",
        {"job_id": "202111031759294631020", "status": "running"},
        id="job-update",
    ),
    pytest.param(
        ["job", "stop", "--job-id", "202111031759294631020"],
        "/v1/job/stop",
        {"job_id": "202111031759294631020"},
        id="job-stop",
    ),
    pytest.param(
        ["job", "simulate", "-j", "202111031759294631020"],
        "/v1/job/simulate",
        {"job_id": "202111031759294631020"},
        id="job-simulate",
    ),
    pytest.param(
        [
            "tracking",
            "output-data-table",
            "-j",
            "202111031759294631020",
            "-r",
            "guest",
            "-p",
            "9999",
            "-cpn",
            "hetero_lr_0",
        ],
        "/v1/tracking/component/output/data/table",
        {
            "job_id": "202111031759294631020",
            "role": "guest",
            "party_id": "9999",
            "component_name": "hetero_lr_0",
        },
        id="tracking-output-data-table",
    ),
    pytest.param(
        [
            "tracking",
            "report",
            "--job-id",
            "202111031759294631020",
            "--role",
            "host",
            "--party-id",
            "10000",
            "--component-name",
            "reader_0",
        ],
        "/v1/tracking/component/output/data/report",
        {
            "job_id": "202111031759294631020",
            "role": "host",
            "party_id": "10000",
            "component_name": "reader_0",
        },
        id="tracking-report-without-file",
    ),
    pytest.param(["resource", "query"], "/v1/resource/query", {}, id="resource-query"),
    pytest.param(
        ["resource", "query", "--engine-name", "SPARK"],
        "/v1/resource/query",
        {"engine_name": "SPARK"},
        id="resource-query-engine",
    ),
    pytest.param(
        ["resource", "apply", "-j", "202111031759294631020"],
        "/v1/resource/apply",
        {"job_id": "202111031759294631020"},
        id="resource-apply",
    ),
    pytest.param(
        ["resource", "return", "-j", "202111031759294631020"],
        "/v1/resource/return",
        {"job_id": "202111031759294631020"},
        id="resource-return",
    ),
    pytest.param(
        ["resource", "return", "-j", "202111031759294631020", "--force"],
        "/v1/resource/return",
        {"job_id": "202111031759294631020", "force": True},
        id="resource-return-force",
    ),
    pytest.param(
        ["resource", "heartbeat", "-j", "202111031759294631020"],
        "/v1/resource/heartbeat",
        {"job_id": "202111031759294631020"},
        id="resource-heartbeat",
    ),
    pytest.param(["resource", "reap"], "/v1/resource/reap", {}, id="resource-reap"),
    pytest.param(
        [
            "resource",
            "task-apply",
            "-j",
            "202111031759294631020",
            "-cpn",
            "reader_0",
            "-r",
            "guest",
            "-p",
            "9999",
        ],
        "/v1/resource/task/apply",
        {
            "job_id": "202111031759294631020",
            "component_name": "reader_0",
            "role": "guest",
            "party_id": "9999",
        },
        id="resource-task-apply",
    ),
]


@pytest.mark.parametrize(("args", "path", "body"), OPTION_CASES)
def test_command_sends_request(
    runner: CliRunner,
    transport: FakeTransport,
    args: list[str],
    path: str,
    body: dict[str, Any],
) -> None:
    result = runner.invoke(flow, args)

    assert result.exit_code == 0, result.output
    assert transport.calls == [("POST", path, body)]
    assert transport.addresses == [ServerAddress("127.0.0.1", 9380)]
    assert result.output == json.dumps(SUCCESS, indent=4, ensure_ascii=False) + "\n"


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["table", "info", "-t", "t", "-n", "ns"], id="table-info"),
        pytest.param(["job", "query", "-j", "1"], id="job-query"),
        pytest.param(
            [
                "tracking",
                "output-data-table",
                "-j",
                "1",
                "-r",
                "guest",
                "-p",
                "9",
                "-cpn",
                "reader_0",
            ],
            id="tracking-output-data-table",
        ),
    ],
)
def test_error_retcode_exits_1(
    runner: CliRunner, transport: FakeTransport, args: list[str]
) -> None:
    transport.replies.append(NOT_FOUND)

    result = runner.invoke(flow, args)

    assert result.exit_code == 1
    assert _reply(result) == NOT_FOUND


def test_output_keeps_non_ascii(runner: CliRunner, transport: FakeTransport) -> None:
    transport.replies.append({"retcode": 0, "retmsg": "成功", "data": None})

    result = runner.invoke(flow, ["job", "query", "-j", "1"])

    assert '"retmsg": "成功"' in result.output


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["job", "update", "-j", "1", "-s", "done"], id="job-status"),
        pytest.param(
            ["table", "lineage", "-t", "t", "-n", "ns", "--direction", "left"],
            id="lineage-direction",
        ),
        pytest.param(
            ["table", "lineage", "-t", "t", "-n", "ns", "--depth", "0"],
            id="lineage-depth",
        ),
        pytest.param(["table", "list", "--page", "0"], id="list-page"),
        pytest.param(["table", "info", "-t", "t"], id="info-without-namespace"),
    ],
)
def test_invalid_option_is_usage_error(
    runner: CliRunner, transport: FakeTransport, args: list[str]
) -> None:
    result = runner.invoke(flow, args)

    assert result.exit_code == 2
    assert transport.calls == []


# flow table lineage --format


@pytest.mark.parametrize(
    ("output_format", "first_line", "edge_line"),
    [
        pytest.param(
            "dot",
            "digraph lineage {",
            '    n1 -> n0 [label="union_0\\n202201", '
            'tooltip="job 202201, role guest, party 9999"];',
            id="dot",
        ),
        pytest.param(
            "mermaid", "flowchart LR", '    n1 -->|"union_0"| n0', id="mermaid"
        ),
    ],
)
def test_lineage_renders_graph(
    runner: CliRunner,
    transport: FakeTransport,
    output_format: str,
    first_line: str,
    edge_line: str,
) -> None:
    transport.replies.append({"retcode": 0, "retmsg": "success", "data": LINEAGE})
    args = ["table", "lineage", "-t", "t", "-n", "experiment"]

    result = runner.invoke(flow, [*args, "--format", output_format])
    lines = result.output.splitlines()

    assert result.exit_code == 0
    assert lines[0] == first_line
    assert edge_line in lines


@pytest.mark.parametrize("output_format", ["dot", "mermaid"])
def test_lineage_error_prints_json(
    runner: CliRunner, transport: FakeTransport, output_format: str
) -> None:
    transport.replies.append(NOT_FOUND)
    args = ["table", "lineage", "-t", "t", "-n", "ns", "--format", output_format]

    result = runner.invoke(flow, args)

    assert result.exit_code == 1
    assert _reply(result) == NOT_FOUND


def test_lineage_json_prints_envelope(
    runner: CliRunner, transport: FakeTransport
) -> None:
    envelope = {"retcode": 0, "retmsg": "success", "data": LINEAGE}
    transport.replies.append(envelope)

    result = runner.invoke(flow, ["table", "lineage", "-t", "t", "-n", "experiment"])

    assert result.exit_code == 0
    assert _reply(result) == envelope


def test_lineage_malformed_answer_says_so(
    runner: CliRunner, transport: FakeTransport
) -> None:
    transport.replies.append({"retcode": 0, "retmsg": "success", "data": {}})
    args = ["table", "lineage", "-t", "t", "-n", "ns", "--format", "dot"]

    result = runner.invoke(flow, args)

    assert result.exit_code == 1
    assert "cannot render the service's response as dot" in result.output
    assert "--format json" in result.output


# Commands that read JSON files


def test_table_bind_sends_conf_keys(
    runner: CliRunner, transport: FakeTransport, tmp_path: Path
) -> None:
    conf = {
        "name": "breast_hetero_guest",
        "namespace": "experiment",
        "engine": "HDFS",
        "address": {"name_node": "hdfs://fate-cluster", "path": "/data/breast.csv"},
        "head": 1,
        "id_delimiter": ",",
        "partitions": 10,
        "storage_type": "unknown key",
    }
    path = _write_json(tmp_path / "bind.json", conf)

    result = runner.invoke(flow, ["table", "bind", "-c", str(path)])

    assert result.exit_code == 0
    assert transport.calls == [
        (
            "POST",
            "/v1/table/bind",
            {key: value for key, value in conf.items() if key != "storage_type"},
        )
    ]


def test_table_bind_requires_namespace(
    runner: CliRunner, transport: FakeTransport, tmp_path: Path
) -> None:
    path = _write_json(tmp_path / "bind.json", {"name": "t", "engine": "HDFS"})

    result = runner.invoke(flow, ["table", "bind", "-c", str(path)])

    assert result.exit_code == 2
    assert f"{path}: missing or empty key 'namespace'" in result.output
    assert transport.calls == []


@pytest.mark.parametrize(
    ("extra", "body_extra"),
    [
        pytest.param([], {}, id="without-job-id"),
        pytest.param(
            ["-j", "202111031759294631020"],
            {"job_id": "202111031759294631020"},
            id="with-job-id",
        ),
    ],
)
def test_job_submit_sends_dsl_and_conf(
    runner: CliRunner,
    transport: FakeTransport,
    tmp_path: Path,
    extra: list[str],
    body_extra: dict[str, str],
) -> None:
    dsl = {"components": {"reader_0": {"module": "Reader"}}}
    conf = {"dsl_version": 2, "initiator": {"role": "guest", "party_id": 9999}}
    dsl_path = _write_json(tmp_path / "dsl.json", dsl)
    conf_path = _write_json(tmp_path / "conf.json", conf)

    args = ["job", "submit", "-d", str(dsl_path), "-c", str(conf_path), *extra]
    result = runner.invoke(flow, args)

    assert result.exit_code == 0
    assert transport.calls == [
        ("POST", "/v1/job/submit", {"dsl": dsl, "runtime_conf": conf, **body_extra})
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param('{"components": ', "is not valid JSON", id="truncated-json"),
        pytest.param("[1, 2]", "must contain a JSON object", id="array"),
    ],
)
def test_job_submit_rejects_bad_dsl(
    runner: CliRunner,
    transport: FakeTransport,
    tmp_path: Path,
    content: str,
    message: str,
) -> None:
    dsl_path = tmp_path / "dsl.json"
    dsl_path.write_text(content, encoding="utf-8")
    conf_path = _write_json(tmp_path / "conf.json", {})

    args = ["job", "submit", "-d", str(dsl_path), "-c", str(conf_path)]
    result = runner.invoke(flow, args)

    assert result.exit_code == 2
    assert f"{dsl_path} {message}" in result.output
    assert transport.calls == []


TASK_ARGS = ["-j", "202201", "-r", "guest", "-p", "9999", "-cpn", "union_0"]
TASK_BODY = {
    "job_id": "202201",
    "role": "guest",
    "party_id": "9999",
    "component_name": "union_0",
}


def test_tracking_report_adds_file_keys(
    runner: CliRunner, transport: FakeTransport, tmp_path: Path
) -> None:
    report = {
        "task_version": 0,
        "inputs": [{"namespace": "experiment", "name": "a"}],
        "outputs": [{"namespace": "output_data_202201_union_0_0", "name": "x"}],
        "party_id": 9999,
    }
    path = _write_json(tmp_path / "report.json", report)

    result = runner.invoke(flow, ["tracking", "report", *TASK_ARGS, "-c", str(path)])

    assert result.exit_code == 0
    assert transport.calls == [
        (
            "POST",
            "/v1/tracking/component/output/data/report",
            {**report, **TASK_BODY},
        )
    ]


def test_tracking_report_rejects_conflicting_key(
    runner: CliRunner, transport: FakeTransport, tmp_path: Path
) -> None:
    path = _write_json(tmp_path / "report.json", {"job_id": "other", "inputs": []})

    result = runner.invoke(flow, ["tracking", "report", *TASK_ARGS, "-c", str(path)])

    assert result.exit_code == 2
    assert f"{path} sets job_id" in result.output
    assert transport.calls == []


# flow data upload

CSV = b"id,y,x0,x1\n133,1,0.25,0.5\n273,0,0.75,0.125\n"


def test_upload_sends_file_summary(
    runner: CliRunner, transport: FakeTransport, tmp_path: Path
) -> None:
    (tmp_path / "breast.csv").write_bytes(CSV)
    conf = {
        "file": "breast.csv",
        "table_name": "breast",
        "namespace": "experiment",
        "head": 1,
        "partition": 8,
        "storage_engine": "EGGROLL",
    }
    path = _write_json(tmp_path / "upload_conf.json", conf)

    result = runner.invoke(flow, ["data", "upload", "-c", str(path)])

    assert result.exit_code == 0
    assert _reply(result) == SUCCESS
    assert transport.calls == [
        (
            "POST",
            "/v1/data/upload",
            {
                "table_name": "breast",
                "namespace": "experiment",
                "head": 1,
                "partition": 8,
                "file": str(Path.cwd() / "breast.csv"),
                "columns": ["id", "y", "x0", "x1"],
                "row_count": 2,
            },
        )
    ]


def test_upload_uses_id_delimiter(
    runner: CliRunner, transport: FakeTransport, tmp_path: Path
) -> None:
    (tmp_path / "breast.txt").write_bytes(b"id;y\n1;0\n")
    conf = {
        "file": str(tmp_path / "breast.txt"),
        "table_name": "breast",
        "namespace": "experiment",
        "id_delimiter": ";",
    }
    path = _write_json(tmp_path / "upload_conf.json", conf)

    runner.invoke(flow, ["data", "upload", "-c", str(path)])
    body = transport.calls[0][2]

    assert body["id_delimiter"] == ";"
    assert body["columns"] == ["id", "y"]
    assert body["row_count"] == 1


def test_upload_head_0_sends_no_columns(
    runner: CliRunner, transport: FakeTransport, tmp_path: Path
) -> None:
    (tmp_path / "rows.csv").write_bytes(b"1,0.5\n2,0.25\n")
    conf = {"file": "rows.csv", "table_name": "r", "namespace": "ns", "head": 0}
    path = _write_json(tmp_path / "upload_conf.json", conf)

    runner.invoke(flow, ["data", "upload", "-c", str(path)])
    body = transport.calls[0][2]

    assert body["columns"] == []
    assert body["row_count"] == 2


def test_upload_missing_file_still_registers(
    runner: CliRunner, transport: FakeTransport, tmp_path: Path
) -> None:
    conf = {
        "file": "/data/projects/fate/examples/data/absent.csv",
        "table_name": "breast",
        "namespace": "experiment",
        "head": 1,
        "partition": 8,
    }
    path = _write_json(tmp_path / "upload_conf.json", conf)

    result = runner.invoke(flow, ["data", "upload", "-c", str(path)])
    reply = _reply(result)

    assert result.exit_code == 0
    assert transport.calls == [
        (
            "POST",
            "/v1/data/upload",
            {
                "table_name": "breast",
                "namespace": "experiment",
                "head": 1,
                "partition": 8,
                "file": "/data/projects/fate/examples/data/absent.csv",
            },
        )
    ]
    assert reply["retmsg"] == (
        "success. File /data/projects/fate/examples/data/absent.csv was not found "
        "on this machine, so columns and row count were not recorded."
    )


def test_upload_missing_file_sends_count(
    runner: CliRunner, transport: FakeTransport, tmp_path: Path
) -> None:
    conf = {"file": "absent.csv", "table_name": "t", "namespace": "ns", "count": 569}
    path = _write_json(tmp_path / "upload_conf.json", conf)

    result = runner.invoke(flow, ["data", "upload", "-c", str(path)])
    body = transport.calls[0][2]

    assert body["row_count"] == 569
    assert "columns" not in body
    assert (
        "The row count 569 was taken from the conf's count." in _reply(result)["retmsg"]
    )


def test_upload_without_file_key_says_so(
    runner: CliRunner, transport: FakeTransport, tmp_path: Path
) -> None:
    path = _write_json(
        tmp_path / "upload_conf.json", {"table_name": "t", "namespace": "n"}
    )

    result = runner.invoke(flow, ["data", "upload", "-c", str(path)])

    assert transport.calls == [
        ("POST", "/v1/data/upload", {"table_name": "t", "namespace": "n"})
    ]
    assert "The conf has no file" in _reply(result)["retmsg"]


def test_upload_unreadable_header_says_so(
    runner: CliRunner, transport: FakeTransport, tmp_path: Path
) -> None:
    (tmp_path / "gbk.csv").write_bytes("编号,y\n1,0\n".encode("gbk"))
    conf = {"file": "gbk.csv", "table_name": "t", "namespace": "n"}
    path = _write_json(tmp_path / "upload_conf.json", conf)

    result = runner.invoke(flow, ["data", "upload", "-c", str(path)])
    body = transport.calls[0][2]

    assert "columns" not in body
    assert f"Cannot read file {Path.cwd() / 'gbk.csv'}" in _reply(result)["retmsg"]


def test_upload_failure_keeps_server_message(
    runner: CliRunner, transport: FakeTransport, tmp_path: Path
) -> None:
    failure = {"retcode": 101, "retmsg": "invalid partition", "data": None}
    transport.replies.append(failure)
    conf = {"file": "absent.csv", "table_name": "t", "namespace": "n"}
    path = _write_json(tmp_path / "upload_conf.json", conf)

    result = runner.invoke(flow, ["data", "upload", "-c", str(path)])

    assert result.exit_code == 1
    assert _reply(result)["retmsg"].startswith("invalid partition. File ")


def test_upload_batch_sends_one_request_per_table(
    runner: CliRunner, transport: FakeTransport, tmp_path: Path
) -> None:
    (tmp_path / "guest.csv").write_bytes(CSV)
    batch = {
        "data": [
            {
                "file": "guest.csv",
                "head": 1,
                "partition": 16,
                "table_name": "breast_hetero_guest",
                "namespace": "experiment",
                "count": 569,
            },
            {
                "file": "host.csv",
                "head": 1,
                "partition": 16,
                "table_name": "breast_hetero_host",
                "namespace": "experiment",
                "count": 569,
            },
        ]
    }
    path = _write_json(tmp_path / "testsuite.json", batch)

    result = runner.invoke(flow, ["data", "upload", "-c", str(path)])
    reply = _reply(result)

    assert result.exit_code == 0
    assert [call[2]["table_name"] for call in transport.calls] == [
        "breast_hetero_guest",
        "breast_hetero_host",
    ]
    assert transport.calls[0][2]["row_count"] == 2
    assert transport.calls[1][2]["row_count"] == 569
    assert reply["retcode"] == 0
    assert reply["retmsg"] == "registered 2 of 2 tables"
    assert [item["table_name"] for item in reply["data"]] == [
        "breast_hetero_guest",
        "breast_hetero_host",
    ]
    assert reply["data"][0]["data"] == SUCCESS["data"]
    assert "host.csv was not found" in reply["data"][1]["retmsg"]


def test_upload_batch_continues_after_failure(
    runner: CliRunner, transport: FakeTransport, tmp_path: Path
) -> None:
    failure = {"retcode": 105, "retmsg": "Neo4j is unavailable", "data": None}
    transport.replies.extend([failure, SUCCESS])
    batch = {
        "data": [
            {"table_name": "a", "namespace": "experiment"},
            {"table_name": "b", "namespace": "experiment"},
        ]
    }
    path = _write_json(tmp_path / "testsuite.json", batch)

    result = runner.invoke(flow, ["data", "upload", "-c", str(path)])
    reply = _reply(result)

    assert result.exit_code == 1
    assert len(transport.calls) == 2
    assert reply["retcode"] == 105
    assert reply["retmsg"] == "registered 1 of 2 tables, failed: experiment/a"
    assert [item["retcode"] for item in reply["data"]] == [105, 0]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        pytest.param(
            {"namespace": "experiment"},
            "{path}: missing or empty key 'table_name'",
            id="no-table-name",
        ),
        pytest.param(
            {"table_name": "t", "namespace": ""},
            "{path}: missing or empty key 'namespace'",
            id="empty-namespace",
        ),
        pytest.param(
            {"data": [{"table_name": "t", "namespace": "n"}, {"table_name": "u"}]},
            "{path}, data[1]: missing or empty key 'namespace'",
            id="batch-item-without-namespace",
        ),
        pytest.param({"data": []}, "{path}: data is an empty list", id="empty-batch"),
        pytest.param(
            {"table_name": "t", "namespace": "n", "head": 2},
            "{path}: key 'head' must be 0 or 1",
            id="head-2",
        ),
        pytest.param(
            {"table_name": "t", "namespace": "n", "id_delimiter": ""},
            "{path}: key 'id_delimiter' must be a non-empty string",
            id="empty-delimiter",
        ),
        pytest.param(
            {"table_name": "t", "namespace": "n", "count": "569"},
            "{path}: key 'count' must be a non-negative integer",
            id="count-string",
        ),
        pytest.param(
            {"table_name": "t", "namespace": "n", "file": 7},
            "{path}: key 'file' must be a non-empty path string",
            id="file-number",
        ),
    ],
)
def test_upload_invalid_conf_is_usage_error(
    runner: CliRunner,
    transport: FakeTransport,
    tmp_path: Path,
    document: dict[str, Any],
    message: str,
) -> None:
    path = _write_json(tmp_path / "upload_conf.json", document)

    result = runner.invoke(flow, ["data", "upload", "-c", str(path)])

    assert result.exit_code == 2
    assert message.format(path=path) in result.output
    assert transport.calls == []


def test_upload_invalid_json_names_path(
    runner: CliRunner, transport: FakeTransport, tmp_path: Path
) -> None:
    path = tmp_path / "upload_conf.json"
    path.write_text('{"table_name": "t",\n', encoding="utf-8")

    result = runner.invoke(flow, ["data", "upload", "-c", str(path)])

    assert result.exit_code == 2
    assert f"{path} is not valid JSON" in result.output
    assert transport.calls == []


def test_upload_missing_conf_is_usage_error(
    runner: CliRunner, transport: FakeTransport
) -> None:
    result = runner.invoke(flow, ["data", "upload", "-c", "absent.json"])

    assert result.exit_code == 2
    assert "absent.json" in result.output
    assert transport.calls == []


def test_openlineage_batches_split_by_count_and_size() -> None:
    from fate_lineage.cli.openlineage import BATCH_BYTES, BATCH_SIZE, _batches

    small = {"name": "s"}
    large = {"name": "x" * (BATCH_BYTES // 2)}
    events = [small] * (BATCH_SIZE + 1) + [large, large, large]

    batches = [(first, len(batch)) for first, batch in _batches(events)]

    assert batches == [
        (0, BATCH_SIZE),
        (BATCH_SIZE, 2),
        (BATCH_SIZE + 2, 1),
        (BATCH_SIZE + 3, 1),
    ]
