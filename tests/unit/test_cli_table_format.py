"""``--format table``: how each reply shape renders, and how the format is chosen."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any, cast

import click
import pytest
from click.testing import CliRunner

from fate_lineage.cli import http
from fate_lineage.cli.main import flow
from fate_lineage.cli.output import FORMAT_VARIABLE
from fate_lineage.cli.tabular import render_envelope
from tests.unit.test_cli_commands import LINEAGE, FakeTransport

JOB = "202612041848075693910"


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
    return CliRunner()


def success(data: Any, retmsg: str = "success") -> dict[str, Any]:
    return {"retcode": 0, "retmsg": retmsg, "data": data}


def expected(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


# Replies as the service sent them in a demo run, shortened.
TRACKING_SOURCE = [
    {
        "parent_table_name": "dc0a31552e2751a5a39775055170e07d",
        "parent_table_namespace": f"output_data_{JOB}_intersection_0_0",
        "source_table_name": "breast_hetero_guest",
        "source_table_namespace": "experiment",
    }
]
RESOURCE_QUERY = {
    "computing_engine_resource": {
        "f_engine_type": "computing",
        "f_engine_name": "STANDALONE",
        "f_engine_config": {"cores_per_node": 20, "nodes": 1},
        "f_cores": 20,
        "f_remaining_cores": 12,
        "f_create_time": 1796404427050,
        "f_create_date": "2026-12-04 17:13:47",
    },
    "use_resource_job": [
        {"job_id": JOB, "role": "arbiter", "party_id": "10000", "core": 0, "memory": 0},
        {"job_id": JOB, "role": "guest", "party_id": "9999", "core": 4, "memory": 0},
    ],
}
SIMULATION = {
    "job_id": JOB,
    "status": "success",
    "tasks": [
        {
            "component_name": "reader_0",
            "role": "arbiter",
            "party_id": "10000",
            "outputs": [],
        },
        {
            "component_name": "reader_0",
            "role": "guest",
            "party_id": "9999",
            "outputs": [
                {
                    "data_name": "data",
                    "table_name": "d4b8",
                    "table_namespace": f"output_data_{JOB}_reader_0_0",
                }
            ],
        },
    ],
    "skipped": [],
}

RENDER_CASES = [
    pytest.param(
        success(TRACKING_SOURCE),
        """
        parent_table_name                 parent_table_namespace                              source_table_name    source_table_namespace
        --------------------------------  --------------------------------------------------  -------------------  ----------------------
        dc0a31552e2751a5a39775055170e07d  output_data_202612041848075693910_intersection_0_0  breast_hetero_guest  experiment
        """,  # noqa: E501
        id="tracking-source-rows",
    ),
    pytest.param(success([]), "(none)\n", id="tracking-source-empty"),
    pytest.param(
        success({"count": 2, "job": [JOB, "202612041719342525920"]}),
        """
        count  2
        job    202612041848075693910, 202612041719342525920
        """,
        id="tracking-job",
    ),
    pytest.param(
        success(
            {
                "count": 1,
                "page": 1,
                "page_size": 20,
                "tables": [
                    {
                        "namespace": "experiment",
                        "name": "breast_hetero_guest",
                        "origin": "upload",
                        "columns": ["id", "y", "x0"],
                        "row_count": 30,
                        "recorded_at": 1796410086000,
                    }
                ],
            }
        ),
        """
        count      1
        page       1
        page_size  20

        tables:
          namespace   name                 origin  columns    row_count  recorded_at
          ----------  -------------------  ------  ---------  ---------  ------------------------
          experiment  breast_hetero_guest  upload  id, y, x0  30         2026-12-04T18:48:06.000Z
        """,  # noqa: E501
        id="table-list",
    ),
    pytest.param(
        success(
            {
                "count": 1,
                "page": 1,
                "page_size": 20,
                "jobs": [
                    {
                        "job_id": JOB,
                        "status": "running",
                        "create_time": 1796410087569,
                        "end_time": None,
                    }
                ],
            }
        ),
        """
        count      1
        page       1
        page_size  20

        jobs:
          job_id                 status   create_time               end_time
          ---------------------  -------  ------------------------  --------
          202612041848075693910  running  2026-12-04T18:48:07.569Z  -
        """,
        id="table-jobs",
    ),
    pytest.param(
        success(RESOURCE_QUERY),
        """
        computing_engine_resource:
          f_engine_type      computing
          f_engine_name      STANDALONE
          f_cores            20
          f_remaining_cores  12
          f_create_time      2026-12-04T17:13:47.050Z
          f_create_date      2026-12-04 17:13:47
          f_engine_config:
            cores_per_node  20
            nodes           1

        use_resource_job:
          job_id                 role     party_id  core  memory
          ---------------------  -------  --------  ----  ------
          202612041848075693910  arbiter  10000     0     0
          202612041848075693910  guest    9999      4     0
        """,
        id="resource-query",
    ),
    pytest.param(
        success(
            [
                {
                    "job_id": JOB,
                    "role": "guest",
                    "party_id": "9999",
                    "resource_in_use": True,
                    "resource_return_status": False,
                }
            ]
        ),
        """
        job_id                 role   party_id  resource_in_use  resource_return_status
        ---------------------  -----  --------  ---------------  ----------------------
        202612041848075693910  guest  9999      true             false
        """,
        id="resource-return",
    ),
    pytest.param(
        success(
            [
                {
                    "job_id": JOB,
                    "status": "success",
                    "roles": {"guest": ["9999"], "host": ["10000", "10001"]},
                    "dsl": {"components": {"reader_0": {"module": "Reader"}}},
                }
            ]
        ),
        """
        [0]:
          job_id  202612041848075693910
          status  success
          roles:
            guest  9999
            host   10000, 10001
          dsl:
            components:
              reader_0:
                module  Reader
        """,
        id="job-query",
    ),
    pytest.param(
        success(
            {
                "job_id": JOB,
                "status": "waiting",
                "reader_tables": [
                    {
                        "component_name": "reader_0",
                        "role": "guest",
                        "party_id": "9999",
                        "table": {"namespace": "experiment", "name": "breast"},
                    }
                ],
                "warnings": [],
            }
        ),
        """
        job_id    202612041848075693910
        status    waiting
        warnings  (none)

        reader_tables:
          component_name  role   party_id  table
          --------------  -----  --------  -----------------
          reader_0        guest  9999      experiment/breast
        """,
        id="job-submit",
    ),
    pytest.param(
        success(
            [
                {
                    "table_name": "t",
                    "namespace": "ns",
                    "retcode": 0,
                    "retmsg": "success",
                    "data": {"origin": "upload", "row_count": 30},
                },
                {
                    "table_name": "u",
                    "namespace": "ns",
                    "retcode": 101,
                    "retmsg": "invalid head",
                    "data": None,
                },
            ],
            retmsg="registered 1 of 2 tables, failed: ns/u",
        ),
        """
        [0]:
          table_name  t
          namespace   ns
          retcode     0
          retmsg      success
          data:
            origin     upload
            row_count  30

        [1]:
          table_name  u
          namespace   ns
          retcode     101
          retmsg      invalid head
          data        -

        retmsg  registered 1 of 2 tables, failed: ns/u
        """,
        id="data-upload-batch",
    ),
    pytest.param(
        success({"reaped": []}),
        """
        reaped  (none)
        """,
        id="resource-reap",
    ),
    pytest.param(
        success(None, retmsg="flow CLI has been initialized"),
        """
        retmsg  flow CLI has been initialized
        """,
        id="no-data-with-message",
    ),
    pytest.param(
        {
            "retcode": 100,
            "retmsg": "no found table: table name t, table namespace ns",
            "data": {"table_name": "t", "namespace": "ns"},
        },
        """
        retcode  100
        retmsg   no found table: table name t, table namespace ns

        table_name  t
        namespace   ns
        """,
        id="error-with-data",
    ),
    pytest.param(
        {"retcode": 105, "retmsg": "Redis is down", "data": None},
        """
        retcode  105
        retmsg   Redis is down
        """,
        id="error-without-data",
    ),
]


@pytest.mark.parametrize(("reply", "text"), RENDER_CASES)
def test_render_reply_shape(reply: dict[str, Any], text: str) -> None:
    assert render_envelope(reply) == expected(text)


@pytest.mark.parametrize(
    ("data", "text"),
    [
        pytest.param({"note": "a\nb\x1b[31m"}, "note  a\\nb\\x1b[31m\n", id="control"),
        pytest.param({"name": ""}, 'name  ""\n', id="empty-string"),
        pytest.param(
            {"ok": True, "ratio": 0.5}, "ok     true\nratio  0.5\n", id="bool"
        ),
        pytest.param({"recorded_at": -1}, "recorded_at  -1\n", id="time-before-1970"),
        pytest.param(
            {"update_time": 253402300800000},
            "update_time  253402300800000\n",
            id="time-after-9999",
        ),
        pytest.param({"start_time": True}, "start_time  true\n", id="time-bool"),
        pytest.param({"as_of": 0}, "as_of  1970-01-01T00:00:00.000Z\n", id="as-of"),
        pytest.param(
            {"tables": [{}, {}]}, "tables:\n  (none)\n  (none)\n", id="empty-rows"
        ),
        pytest.param(
            {"grid": [[1, 2], "x"]},
            "grid:\n  [0]:\n    1\n    2\n  x\n",
            id="nested-lists",
        ),
    ],
)
def test_render_value_rules(data: dict[str, Any], text: str) -> None:
    assert render_envelope(success(data)) == text


def test_wide_characters_keep_columns_aligned() -> None:
    rows = [{"name": "表一", "rows": 1}, {"name": "table", "rows": 2}]

    lines = render_envelope(success(rows)).splitlines()

    assert lines == [
        "name   rows",
        "-----  ----",
        "表一   1",
        "table  2",
    ]


# Through the commands


def test_lineage_table_numbers_nodes(
    runner: CliRunner, transport: FakeTransport
) -> None:
    transport.replies.append(success(LINEAGE))
    args = ["table", "lineage", "-t", "t", "-n", "experiment", "--format", "table"]

    result = runner.invoke(flow, args)

    assert result.exit_code == 0, result.output
    assert result.output == expected(
        """
        table        experiment/t
        direction    up
        depth        3
        node_budget  1000
        as_of        -
        truncated    false

        nodes:
          id  namespace   name  side  hops
          --  ----------  ----  ----  ----
          n0  experiment  t     self  0
          n1  experiment  a     up    1

        edges:
          parent  child  job_id  component  role   party_id
          ------  -----  ------  ---------  -----  --------
          n1      n0     202201  union_0    guest  9999
        """
    )


def test_lineage_table_keeps_unlisted_table(
    runner: CliRunner, transport: FakeTransport
) -> None:
    nodes = cast(list[dict[str, Any]], LINEAGE["nodes"])
    data = {**LINEAGE, "nodes": nodes[:1]}
    transport.replies.append(success(data))
    args = ["table", "lineage", "-t", "t", "-n", "experiment", "--format", "table"]

    result = runner.invoke(flow, args)

    assert result.exit_code == 0, result.output
    assert "  experiment/a  n0     202201" in result.output


def test_lineage_table_malformed_says_so(
    runner: CliRunner, transport: FakeTransport
) -> None:
    transport.replies.append(success({"nodes": [{"name": "t"}], "edges": []}))
    args = ["table", "lineage", "-t", "t", "-n", "ns", "--format", "table"]

    result = runner.invoke(flow, args)

    assert result.exit_code == 1
    assert "cannot render the service's response as a table" in result.output
    assert "--format json" in result.output


def test_simulate_table_one_row_per_output(
    runner: CliRunner, transport: FakeTransport
) -> None:
    transport.replies.append(success(SIMULATION))

    result = runner.invoke(flow, ["job", "simulate", "-j", JOB, "--format", "table"])

    assert result.exit_code == 0, result.output
    assert result.output == expected(
        """
        job_id   202612041848075693910
        status   success
        skipped  (none)

        tasks:
          component_name  role     party_id  data_name  table_name  table_namespace
          --------------  -------  --------  ---------  ----------  --------------------------------------------
          reader_0        arbiter  10000     -          -           -
          reader_0        guest    9999      data       d4b8        output_data_202612041848075693910_reader_0_0
        """  # noqa: E501
    )


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["table", "tracking-source", "-t", "t", "-n", "ns"], id="source"),
        pytest.param(["job", "simulate", "-j", JOB], id="simulate"),
        pytest.param(["table", "lineage", "-t", "t", "-n", "ns"], id="lineage"),
    ],
)
def test_table_error_shows_retcode_exits_1(
    runner: CliRunner, transport: FakeTransport, args: list[str]
) -> None:
    transport.replies.append({"retcode": 100, "retmsg": "no found", "data": None})

    result = runner.invoke(flow, [*args, "--format", "table"])

    assert result.exit_code == 1
    assert result.output == "retcode  100\nretmsg   no found\n"


# Choosing the format

REPLY = success({"count": 1, "job": [JOB], "note": "成功"})
JSON_TEXT = json.dumps(REPLY, indent=4, ensure_ascii=False) + "\n"
TABLE_TEXT = render_envelope(REPLY)
QUERY = ["table", "tracking-job", "-t", "t", "-n", "ns"]


@pytest.mark.parametrize(
    ("args", "variable", "output"),
    [
        pytest.param(QUERY, None, JSON_TEXT, id="default-json"),
        pytest.param([*QUERY, "--format", "table"], None, TABLE_TEXT, id="command"),
        pytest.param(["--format", "table", *QUERY], None, TABLE_TEXT, id="group"),
        pytest.param(QUERY, "table", TABLE_TEXT, id="variable"),
        pytest.param(QUERY, "json", JSON_TEXT, id="variable-json"),
        pytest.param(
            ["--format", "json", *QUERY], "table", JSON_TEXT, id="group-over-variable"
        ),
        pytest.param(
            [*QUERY, "--format", "json"], "table", JSON_TEXT, id="command-over-variable"
        ),
        pytest.param(
            ["--format", "table", *QUERY, "--format", "json"],
            None,
            JSON_TEXT,
            id="command-over-group",
        ),
    ],
)
def test_format_is_chosen_in_order(
    runner: CliRunner,
    transport: FakeTransport,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    variable: str | None,
    output: str,
) -> None:
    if variable is not None:
        monkeypatch.setenv(FORMAT_VARIABLE, variable)
    transport.replies.append(REPLY)

    result = runner.invoke(flow, args)

    assert result.exit_code == 0, result.output
    assert result.output == output


def test_invalid_format_variable_is_usage_error(
    runner: CliRunner, transport: FakeTransport, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(FORMAT_VARIABLE, "yaml")

    result = runner.invoke(flow, QUERY)

    assert result.exit_code == 2
    assert FORMAT_VARIABLE in result.output
    assert transport.calls == []


@pytest.mark.parametrize(
    ("args", "first_line"),
    [
        pytest.param(["--format", "dot"], "digraph lineage {", id="dot"),
        pytest.param(["--format", "mermaid"], "flowchart LR", id="mermaid"),
        pytest.param([], "table        experiment/t", id="table"),
        pytest.param(["--format", "json"], "{", id="json"),
    ],
)
def test_lineage_format_under_table_variable(
    runner: CliRunner,
    transport: FakeTransport,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    first_line: str,
) -> None:
    monkeypatch.setenv(FORMAT_VARIABLE, "table")
    transport.replies.append(success(LINEAGE))

    result = runner.invoke(flow, ["table", "lineage", "-t", "t", "-n", "n", *args])

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == first_line


def test_group_format_rejects_dot(runner: CliRunner, transport: FakeTransport) -> None:
    args = ["--format", "dot", "table", "lineage", "-t", "t", "-n", "n"]

    result = runner.invoke(flow, args)

    assert result.exit_code == 2
    assert transport.calls == []


def _leaf_commands(
    command: click.Command, path: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], click.Command]]:
    if isinstance(command, click.Group):
        return [
            leaf
            for name, sub in command.commands.items()
            for leaf in _leaf_commands(sub, (*path, name))
        ]
    return [(path, command)]


@pytest.mark.parametrize(
    "path",
    [path for path, _ in _leaf_commands(flow) if path != ("completion",)],
    ids=" ".join,
)
def test_every_command_takes_format(path: tuple[str, ...]) -> None:
    command = dict(_leaf_commands(flow))[path]
    options = [param for param in command.params if "--format" in param.opts]

    assert len(options) == 1
    assert isinstance(options[0].type, click.Choice)
    assert {"json", "table"} <= set(options[0].type.choices)
