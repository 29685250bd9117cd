"""Parsing of FATE DSL v2 jobs into plans, run on FATE 1.7.2's example jobs.

The example files are read in place and never copied into the repository.
Invalid cases load a fresh copy of an example and edit it.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from fate_lineage.errors import InvalidInput
from fate_lineage.tracking.dsl import (
    DataInput,
    JobOutputRef,
    JobPlan,
    ReaderInput,
    TableRef,
    TaskSpec,
    default_output_table,
    generate_job_id,
    parse_job,
    validate_job_id,
)

if TYPE_CHECKING:
    from collections.abc import Callable

FIXTURES = Path(__file__).resolve().parents[2] / "examples" / "fate"

# Each job is a pair of files: <stem>_dsl.json and <stem>_conf.json.
JOBS = {
    "hetero_lr_normal": "hetero_logistic_regression/hetero_lr_normal",
    "hetero_lr_validate": "hetero_logistic_regression/hetero_lr_validate",
    "union": "union/test_union_job",
    "data_split": "data_split/test_hetero_data_split_job",
}

# An edit is (document, path, value): document is "dsl" or "conf", the path
# separates keys with "/", and the value DELETE removes the key.
DELETE = object()
Edit = tuple[str, str, object]

GUEST_READER = "component_parameters/role/guest/0/reader_0"
HOST_READER = "component_parameters/role/host/0/reader_0"
JOB_ID = "202111031759294631020"


def load(job: str) -> tuple[dict[str, Any], dict[str, Any]]:
    stem = FIXTURES / JOBS[job]
    dsl = json.loads(Path(f"{stem}_dsl.json").read_text(encoding="utf-8"))
    conf = json.loads(Path(f"{stem}_conf.json").read_text(encoding="utf-8"))
    return dsl, conf


def edited(job: str, edits: list[Edit]) -> tuple[dict[str, Any], dict[str, Any]]:
    dsl, conf = load(job)
    for document, path, value in edits:
        target: Any = dsl if document == "dsl" else conf
        *parents, last = path.split("/")
        for key in parents:
            target = target[key]
        if value is DELETE:
            del target[last]
        else:
            target[last] = value
    return dsl, conf


def plan_of(job: str, edits: list[Edit] | None = None) -> JobPlan:
    return parse_job(*edited(job, edits or []))


def table(name: str) -> TableRef:
    return TableRef(namespace="experiment", name=name)


def test_fixtures_folder_resolves() -> None:
    for stem in JOBS.values():
        assert Path(f"{FIXTURES / stem}_dsl.json").is_file()
        assert Path(f"{FIXTURES / stem}_conf.json").is_file()


# Valid jobs.


@pytest.mark.parametrize(
    ("job", "order"),
    [
        (
            "hetero_lr_normal",
            [
                "reader_0",
                "data_transform_0",
                "intersection_0",
                "hetero_lr_0",
                "evaluation_0",
            ],
        ),
        (
            "hetero_lr_validate",
            [
                "reader_0",
                "data_transform_0",
                "intersection_0",
                "reader_1",
                "data_transform_1",
                "intersection_1",
                "hetero_lr_0",
                "hetero_lr_1",
                "evaluation_0",
            ],
        ),
        (
            "union",
            [
                "reader_0",
                "reader_1",
                "data_transform_0",
                "data_transform_1",
                "intersection_0",
                "intersection_1",
                "union_0",
                "hetero_lr_0",
                "evaluation_0",
            ],
        ),
        (
            "data_split",
            [
                "reader_0",
                "data_transform_0",
                "intersection_0",
                "hetero_data_split_0",
                "hetero_linr_0",
            ],
        ),
    ],
    ids=["hetero-lr-normal", "hetero-lr-validate", "union", "data-split"],
)
def test_fixture_run_order(job: str, order: list[str]) -> None:
    plan = plan_of(job)

    assert [spec.name for spec in plan.components] == order


@pytest.mark.parametrize(
    ("job", "count"),
    [
        ("hetero_lr_normal", 15),
        ("hetero_lr_validate", 27),
        ("union", 26),
        ("data_split", 15),
    ],
    ids=["hetero-lr-normal", "hetero-lr-validate", "union", "data-split"],
)
def test_fixture_task_count(job: str, count: int) -> None:
    plan = plan_of(job)

    assert len(plan.tasks) == count
    assert len(set(plan.tasks)) == count


@pytest.mark.parametrize(
    ("job", "reader_inputs"),
    [
        (
            "hetero_lr_normal",
            [
                ReaderInput("reader_0", "host", "10000", table("breast_hetero_host")),
                ReaderInput("reader_0", "guest", "9999", table("breast_hetero_guest")),
            ],
        ),
        (
            "hetero_lr_validate",
            [
                ReaderInput("reader_0", "host", "10000", table("breast_hetero_host")),
                ReaderInput("reader_0", "guest", "9999", table("breast_hetero_guest")),
                ReaderInput("reader_1", "host", "10000", table("breast_hetero_host")),
                ReaderInput("reader_1", "guest", "9999", table("breast_hetero_guest")),
            ],
        ),
        (
            "data_split",
            [
                ReaderInput("reader_0", "host", "10000", table("motor_hetero_host")),
                ReaderInput("reader_0", "guest", "9999", table("motor_hetero_guest")),
            ],
        ),
    ],
    ids=["hetero-lr-normal", "hetero-lr-validate", "data-split"],
)
def test_fixture_reader_inputs(job: str, reader_inputs: list[ReaderInput]) -> None:
    plan = plan_of(job)

    assert list(plan.reader_inputs) == reader_inputs


def test_hetero_lr_normal_header() -> None:
    plan = plan_of("hetero_lr_normal")

    assert plan.dsl_version == 2
    assert plan.initiator_role == "guest"
    assert plan.initiator_party_id == "9999"
    assert plan.roles == {"arbiter": ("10000",), "host": ("10000",), "guest": ("9999",)}
    assert list(plan.roles) == ["arbiter", "host", "guest"]


def test_tasks_follow_run_order() -> None:
    plan = plan_of("hetero_lr_normal")
    parties = [("arbiter", "10000"), ("host", "10000"), ("guest", "9999")]
    expected = [
        TaskSpec(spec.name, role, party_id)
        for spec in plan.components
        for role, party_id in parties
    ]

    assert list(plan.tasks) == expected


def test_hetero_lr_normal_arbiter_reads_nothing() -> None:
    plan = plan_of("hetero_lr_normal")

    assert TaskSpec("reader_0", "arbiter", "10000") in plan.tasks
    assert [r for r in plan.reader_inputs if r.role == "arbiter"] == []


def test_guest_and_arbiter_share_party() -> None:
    plan = plan_of("hetero_lr_validate")

    assert plan.roles["guest"] == ("9999",)
    assert plan.roles["arbiter"] == ("9999",)
    assert TaskSpec("reader_0", "guest", "9999") in plan.tasks
    assert TaskSpec("reader_0", "arbiter", "9999") in plan.tasks
    assert [r.role for r in plan.reader_inputs if r.party_id == "9999"] == [
        "guest",
        "guest",
    ]


def test_hetero_lr_validate_two_slots() -> None:
    plan = plan_of("hetero_lr_validate")

    assert plan.component("hetero_lr_0").data_inputs == (
        DataInput("train_data", "intersection_0", "data"),
        DataInput("validate_data", "intersection_1", "data"),
    )
    assert plan.component("evaluation_0").data_inputs == (
        DataInput("data", "hetero_lr_0", "data"),
        DataInput("data", "hetero_lr_1", "data"),
    )


def test_model_input_is_not_data_input() -> None:
    plan = plan_of("hetero_lr_validate")

    assert plan.component("data_transform_1").data_inputs == (
        DataInput("data", "reader_1", "data"),
    )
    assert plan.component("hetero_lr_1").data_inputs == (
        DataInput("test_data", "intersection_1", "data"),
    )


def test_union_host_evaluation_does_not_run() -> None:
    plan = plan_of("union")

    assert TaskSpec("evaluation_0", "host", "10000") not in plan.tasks
    assert TaskSpec("evaluation_0", "guest", "9999") in plan.tasks
    assert TaskSpec("evaluation_0", "arbiter", "10000") in plan.tasks
    assert TaskSpec("hetero_lr_0", "host", "10000") in plan.tasks


def test_union_merges_two_inputs() -> None:
    plan = plan_of("union")

    assert plan.component("union_0").data_inputs == (
        DataInput("data", "intersection_0", "data"),
        DataInput("data", "intersection_1", "data"),
    )
    assert plan.component("union_0").data_outputs == ("data",)


def test_data_split_three_outputs() -> None:
    plan = plan_of("data_split")

    split = plan.component("hetero_data_split_0")
    assert split.module == "HeteroDataSplit"
    assert split.data_outputs == ("train_data", "validate_data", "test_data")
    assert plan.component("hetero_linr_0").data_inputs == (
        DataInput("train_data", "hetero_data_split_0", "train_data"),
        DataInput("validate_data", "hetero_data_split_0", "test_data"),
    )


def test_component_without_output_has_none() -> None:
    plan = plan_of(
        "hetero_lr_normal", [("dsl", "components/evaluation_0/output", DELETE)]
    )

    assert plan.component("evaluation_0").data_outputs == ()


def test_component_lookup_of_unknown_name() -> None:
    plan = plan_of("hetero_lr_normal")

    with pytest.raises(InvalidInput) as caught:
        plan.component("hetero_lr_9")

    assert "hetero_lr_9" in caught.value.message
    assert "reader_0" in caught.value.message


def move_to_end(dsl: dict[str, Any], name: str) -> None:
    dsl["components"][name] = dsl["components"].pop(name)


def move_to_start(dsl: dict[str, Any], name: str) -> None:
    dsl["components"] = {
        name: dsl["components"][name],
        **{key: value for key, value in dsl["components"].items() if key != name},
    }


@pytest.mark.parametrize(
    ("job", "move", "component", "order"),
    [
        (
            "hetero_lr_normal",
            move_to_start,
            "evaluation_0",
            [
                "reader_0",
                "data_transform_0",
                "intersection_0",
                "hetero_lr_0",
                "evaluation_0",
            ],
        ),
        (
            "union",
            move_to_end,
            "reader_1",
            [
                "reader_0",
                "data_transform_0",
                "intersection_0",
                "reader_1",
                "data_transform_1",
                "intersection_1",
                "union_0",
                "hetero_lr_0",
                "evaluation_0",
            ],
        ),
    ],
    ids=["last-listed-first", "independent-reader-listed-last"],
)
def test_run_order_is_stable(
    job: str,
    move: Callable[[dict[str, Any], str], None],
    component: str,
    order: list[str],
) -> None:
    dsl, conf = load(job)
    move(dsl, component)

    plan = parse_job(dsl, conf)

    assert [spec.name for spec in plan.components] == order


def test_party_ids_are_normalised_to_strings() -> None:
    plan = plan_of(
        "hetero_lr_normal",
        [
            ("conf", "role/guest", ["9999"]),
            ("conf", "role/host", ["010000"]),
            ("conf", "initiator/party_id", "9999"),
        ],
    )

    assert plan.roles["guest"] == ("9999",)
    assert plan.roles["host"] == ("10000",)
    assert plan.initiator_party_id == "9999"


def test_missing_dsl_version_means_v2() -> None:
    plan = plan_of("hetero_lr_normal", [("conf", "dsl_version", DELETE)])

    assert plan.dsl_version == 2


def test_reader_of_job_output() -> None:
    source = {"job_id": JOB_ID, "component_name": "hetero_lr_0", "data_name": "data"}

    plan = plan_of("hetero_lr_normal", [("conf", f"{GUEST_READER}/table", source)])

    assert plan.reader_inputs[1] == ReaderInput(
        "reader_0", "guest", "9999", JobOutputRef(JOB_ID, "hetero_lr_0", "data")
    )
    assert plan.reader_inputs[0].table == table("breast_hetero_host")


def test_common_table_applies_to_all_parties() -> None:
    common_table = {"name": "shared", "namespace": "experiment"}
    plan = plan_of(
        "hetero_lr_normal",
        [
            ("conf", GUEST_READER, DELETE),
            ("conf", HOST_READER, DELETE),
            ("conf", "component_parameters/common/reader_0", {"table": common_table}),
        ],
    )

    assert [(r.role, r.table) for r in plan.reader_inputs] == [
        ("arbiter", table("shared")),
        ("host", table("shared")),
        ("guest", table("shared")),
    ]


TWO_HOSTS: list[Edit] = [("conf", "role/host", [10000, 10001])]


@pytest.mark.parametrize(
    ("index", "hosts_reading"),
    [("0|1", ["10000", "10001"]), ("all", ["10000", "10001"]), ("1", ["10001"])],
    ids=["alternation", "all", "single"],
)
def test_party_index_selects_hosts(index: str, hosts_reading: list[str]) -> None:
    host_table = {"reader_0": {"table": {"name": "h", "namespace": "experiment"}}}
    plan = plan_of(
        "hetero_lr_normal",
        [*TWO_HOSTS, ("conf", "component_parameters/role/host", {index: host_table})],
    )

    hosts = [r.party_id for r in plan.reader_inputs if r.role == "host"]
    assert hosts == hosts_reading
    assert TaskSpec("reader_0", "host", "10001") in plan.tasks


EVALUATION_COMMON = "component_parameters/common/evaluation_0"


@pytest.mark.parametrize(
    ("job", "edits", "absent", "count"),
    [
        (
            "hetero_lr_normal",
            [("conf", f"{EVALUATION_COMMON}/need_run", False)],
            [
                TaskSpec("evaluation_0", "guest", "9999"),
                TaskSpec("evaluation_0", "host", "10000"),
                TaskSpec("evaluation_0", "arbiter", "10000"),
            ],
            12,
        ),
        (
            # FATE Flow applies role parameters after common ones.
            "hetero_lr_normal",
            [
                ("conf", f"{EVALUATION_COMMON}/need_run", False),
                (
                    "conf",
                    "component_parameters/role/guest/0/evaluation_0",
                    {"need_run": True},
                ),
            ],
            [
                TaskSpec("evaluation_0", "host", "10000"),
                TaskSpec("evaluation_0", "arbiter", "10000"),
            ],
            13,
        ),
        (
            "hetero_lr_normal",
            [
                *TWO_HOSTS,
                (
                    "conf",
                    "component_parameters/role/host/all",
                    {"hetero_lr_0": {"need_run": False}},
                ),
            ],
            [
                TaskSpec("hetero_lr_0", "host", "10000"),
                TaskSpec("hetero_lr_0", "host", "10001"),
            ],
            18,
        ),
        (
            # A later key overrides an earlier one, as in FATE Flow.
            "union",
            [
                (
                    "conf",
                    "component_parameters/role/host/all",
                    {"evaluation_0": {"need_run": True}},
                )
            ],
            [],
            27,
        ),
    ],
    ids=["common-false", "role-overrides-common", "host-all", "later-key-wins"],
)
def test_need_run_removes_tasks(
    job: str, edits: list[Edit], absent: list[TaskSpec], count: int
) -> None:
    plan = plan_of(job, edits)

    for task in absent:
        assert task not in plan.tasks
    assert len(plan.tasks) == count


def test_skipped_reader_needs_no_table() -> None:
    plan = plan_of(
        "hetero_lr_normal",
        [
            ("conf", GUEST_READER, DELETE),
            ("conf", HOST_READER, DELETE),
            ("conf", "component_parameters/common/reader_0", {"need_run": False}),
        ],
    )

    assert plan.reader_inputs == ()
    assert [t for t in plan.tasks if t.component == "reader_0"] == []


# Invalid jobs. Each message must name the component or the field.

INVALID_CASES = [
    pytest.param(
        "hetero_lr_normal",
        [
            (
                "dsl",
                "components/hetero_lr_0/input/data/train_data",
                ["intersection_9.data"],
            )
        ],
        [
            "component hetero_lr_0: input data.train_data refers to "
            "intersection_9.data, but the DSL has no component intersection_9"
        ],
        id="unknown-upstream",
    ),
    pytest.param(
        "hetero_lr_normal",
        [
            (
                "dsl",
                "components/hetero_lr_0/input/data/train_data",
                ["intersection_0.train"],
            )
        ],
        [
            "component hetero_lr_0: input data.train_data",
            "intersection_0 has no output data named train",
            "Its output data names are: data.",
        ],
        id="unknown-output-name",
    ),
    pytest.param(
        "hetero_lr_normal",
        [("dsl", "components/reader_0/output", DELETE)],
        [
            "component data_transform_0: input data.data refers to reader_0.data",
            "dsl.components.reader_0.output.data lists no outputs",
        ],
        id="upstream-without-outputs",
    ),
    pytest.param(
        "hetero_lr_validate",
        [
            (
                "dsl",
                "components/data_transform_1/input/model",
                ["data_transform_9.model"],
            )
        ],
        [
            "component data_transform_1: input model refers to data_transform_9.model",
            "no component data_transform_9",
        ],
        id="unknown-model-upstream",
    ),
    pytest.param(
        "hetero_lr_normal",
        [("dsl", "components/hetero_lr_0/input/data/train_data", ["intersection_0"])],
        ["component hetero_lr_0: input data.train_data", "'intersection_0'"],
        id="reference-without-dot",
    ),
    pytest.param(
        "hetero_lr_normal",
        [("dsl", "components/data_transform_0/input/data/data", ["args.data"])],
        ["component data_transform_0", "predict DSL", "Only training DSLs"],
        id="predict-dsl-input",
    ),
    pytest.param(
        "hetero_lr_normal",
        [
            (
                "dsl",
                "components/intersection_0/input/data/data",
                ["data_transform_0.data", "hetero_lr_0.data"],
            )
        ],
        ["dependency cycle: hetero_lr_0 -> intersection_0 -> hetero_lr_0"],
        id="cycle",
    ),
    pytest.param(
        "hetero_lr_normal",
        [("dsl", "components/reader_0/input", {"data": {"data": ["reader_0.data"]}})],
        ["dependency cycle: reader_0 -> reader_0"],
        id="self-cycle",
    ),
    pytest.param(
        "union",
        [
            (
                "dsl",
                "components/data_transform_0/input/model",
                ["data_transform_1.model"],
            )
        ],
        ["dependency cycle: data_transform_1 -> data_transform_0 -> data_transform_1"],
        id="model-cycle",
    ),
    pytest.param(
        "hetero_lr_normal",
        [("dsl", "components/hetero_lr_0/module", DELETE)],
        ["dsl.components.hetero_lr_0.module: required field is missing"],
        id="missing-module",
    ),
    pytest.param(
        "hetero_lr_normal",
        [("dsl", "components/hetero_lr_0/module", 5)],
        ["dsl.components.hetero_lr_0.module: expected a non-empty string, got 5"],
        id="module-not-string",
    ),
    pytest.param(
        "hetero_lr_normal",
        [("dsl", "components", DELETE)],
        ["dsl.components: required field is missing"],
        id="missing-components",
    ),
    pytest.param(
        "hetero_lr_normal",
        [("dsl", "components", [])],
        ["dsl.components: expected an object, got an array"],
        id="components-not-object",
    ),
    pytest.param(
        "hetero_lr_normal",
        [("dsl", "components", {})],
        ["dsl.components: the DSL has no components"],
        id="no-components",
    ),
    pytest.param(
        "hetero_lr_normal",
        [("dsl", "components/hetero_lr_0", "HeteroLR")],
        ["dsl.components.hetero_lr_0: expected an object, got 'HeteroLR'"],
        id="component-not-object",
    ),
    pytest.param(
        "hetero_lr_normal",
        [("dsl", "components/reader.0", {"module": "Reader"})],
        ["component name 'reader.0' is invalid"],
        id="dot-in-name",
    ),
    pytest.param(
        "hetero_lr_normal",
        [("dsl", "components/reader_0/output/data", "data")],
        ["dsl.components.reader_0.output.data: expected an array, got 'data'"],
        id="output-data-not-array",
    ),
    pytest.param(
        "hetero_lr_normal",
        [("dsl", "components/reader_0/output/data", ["data", "data"])],
        ["dsl.components.reader_0.output.data: data is listed more than once"],
        id="output-data-repeated",
    ),
    pytest.param(
        "hetero_lr_normal",
        [("dsl", "components/hetero_lr_0/output/model", "model")],
        ["dsl.components.hetero_lr_0.output.model: expected an array"],
        id="output-model-not-array",
    ),
    pytest.param(
        "hetero_lr_normal",
        [("dsl", "components/hetero_lr_0/input/data", ["intersection_0.data"])],
        ["dsl.components.hetero_lr_0.input.data: expected an object, got an array"],
        id="input-data-not-object",
    ),
    pytest.param(
        "hetero_lr_normal",
        [("dsl", "components/hetero_lr_0/input/data/train_data", [None])],
        ["dsl.components.hetero_lr_0.input.data.train_data[0]: expected a non-empty"],
        id="input-reference-not-string",
    ),
    pytest.param(
        "hetero_lr_validate",
        [("dsl", "components/hetero_lr_1/input/model", "hetero_lr_0.model")],
        ["dsl.components.hetero_lr_1.input.model: expected an array"],
        id="input-model-not-array",
    ),
    pytest.param(
        "hetero_lr_normal",
        [("conf", "dsl_version", 1)],
        ["conf.dsl_version: DSL v1 is not supported"],
        id="dsl-version-1",
    ),
    pytest.param(
        "hetero_lr_normal",
        [("conf", "dsl_version", "2")],
        ["conf.dsl_version: expected 2, got '2'"],
        id="dsl-version-string",
    ),
    pytest.param(
        "hetero_lr_normal",
        [("conf", "role/client", [10001])],
        ["conf.role.client: unknown role client"],
        id="unknown-role",
    ),
    pytest.param(
        "hetero_lr_normal",
        [("conf", "role", DELETE)],
        ["conf.role: required field is missing"],
        id="missing-roles",
    ),
    pytest.param(
        "hetero_lr_normal",
        [("conf", "role/host", 10000)],
        ["conf.role.host: expected an array, got 10000"],
        id="role-not-array",
    ),
    pytest.param(
        "hetero_lr_normal",
        [("conf", "role/host", [])],
        ["conf.role.host: the role lists no parties"],
        id="role-without-parties",
    ),
    pytest.param(
        "hetero_lr_normal",
        [("conf", "role/host", ["host-a"])],
        ["conf.role.host[0]: expected a party id such as 9999, got 'host-a'"],
        id="party-id-text",
    ),
    pytest.param(
        "hetero_lr_normal",
        [("conf", "role/host", [True])],
        ["conf.role.host[0]: expected a party id", "got true"],
        id="party-id-boolean",
    ),
    pytest.param(
        "hetero_lr_normal",
        [("conf", "role/host", [10000, "10000"])],
        ["conf.role.host: party 10000 is listed more than once"],
        id="party-repeated",
    ),
    pytest.param(
        "hetero_lr_normal",
        [("conf", "initiator/party_id", 8888)],
        ["conf.initiator: the initiator, guest 8888, is not in conf.role"],
        id="initiator-not-in-roles",
    ),
    pytest.param(
        "hetero_lr_normal",
        [("conf", "initiator/role", "arbiter")],
        ["the initiator, arbiter 9999, is not in conf.role"],
        id="initiator-wrong-role",
    ),
    pytest.param(
        "hetero_lr_normal",
        [("conf", "initiator", DELETE)],
        ["conf.initiator: required field is missing"],
        id="missing-initiator",
    ),
    pytest.param(
        "hetero_lr_normal",
        [("conf", "initiator/role", "client")],
        ["conf.initiator.role: unknown role client"],
        id="initiator-unknown-role",
    ),
    pytest.param(
        "hetero_lr_normal",
        [("conf", "component_parameters/role/guest/1", {})],
        [
            "conf.component_parameters.role.guest.1: party index 1 is out of range",
            "highest index is 0",
        ],
        id="index-out-of-range",
    ),
    pytest.param(
        "hetero_lr_normal",
        [("conf", "component_parameters/role/guest/0|1", {})],
        ["conf.component_parameters.role.guest.0|1: party index 1 is out of range"],
        id="alternation-out-of-range",
    ),
    pytest.param(
        "hetero_lr_normal",
        [("conf", "component_parameters/role/guest/first", {})],
        ["conf.component_parameters.role.guest.first: party index 'first' is invalid"],
        id="index-not-number",
    ),
    pytest.param(
        "hetero_lr_normal",
        [("conf", "component_parameters/role/guest/00", {})],
        ["conf.component_parameters.role.guest.00: party index '00' is invalid"],
        id="index-leading-zero",
    ),
    pytest.param(
        "hetero_lr_normal",
        [("conf", "component_parameters/role/client", {"0": {}})],
        ["conf.component_parameters.role.client: unknown role client"],
        id="parameters-unknown-role",
    ),
    pytest.param(
        "hetero_lr_normal",
        [("conf", "component_parameters/role/local", {"0": {}})],
        ["conf.component_parameters.role.local: role local is not in conf.role"],
        id="parameters-role-not-in-job",
    ),
    pytest.param(
        "hetero_lr_normal",
        [("conf", "component_parameters/role/guest/0/reader_9", {})],
        [
            "conf.component_parameters.role.guest.0.reader_9: "
            "component reader_9 is not in the DSL"
        ],
        id="parameters-unknown-component",
    ),
    pytest.param(
        "hetero_lr_normal",
        [("conf", "component_parameters/common/hetero_lr_9", {"need_run": False})],
        [
            "conf.component_parameters.common.hetero_lr_9: "
            "component hetero_lr_9 is not in the DSL"
        ],
        id="common-unknown-component",
    ),
    pytest.param(
        "hetero_lr_normal",
        [("conf", "component_parameters/role/guest/0/data_transform_0", [])],
        [
            "conf.component_parameters.role.guest.0.data_transform_0: "
            "expected an object, got an array"
        ],
        id="parameters-not-object",
    ),
    pytest.param(
        "hetero_lr_normal",
        [("conf", f"{EVALUATION_COMMON}/need_run", "no")],
        [
            "conf.component_parameters.common.evaluation_0.need_run: "
            "expected true or false, got 'no'"
        ],
        id="need-run-not-boolean",
    ),
    pytest.param(
        "hetero_lr_normal",
        [
            ("conf", f"{GUEST_READER}/table", DELETE),
            ("conf", f"{HOST_READER}/table", DELETE),
        ],
        ["component reader_0: no party has a table to read"],
        id="reader-without-table",
    ),
    pytest.param(
        "hetero_lr_normal",
        [("conf", f"{GUEST_READER}/table", {"name": "breast_hetero_guest"})],
        [
            "conf.component_parameters.role.guest.0.reader_0.table: "
            "expected the keys name and namespace",
            "got name",
        ],
        id="table-without-namespace",
    ),
    pytest.param(
        "hetero_lr_normal",
        [
            (
                "conf",
                f"{GUEST_READER}/table",
                {"name": "t", "namespace": "n", "job_id": JOB_ID},
            )
        ],
        ["conf.component_parameters.role.guest.0.reader_0.table: expected the keys"],
        id="table-mixed-keys",
    ),
    pytest.param(
        "hetero_lr_normal",
        [("conf", f"{GUEST_READER}/table/name", "")],
        [
            "conf.component_parameters.role.guest.0.reader_0.table.name: "
            "expected a non-empty string, got ''"
        ],
        id="table-name-empty",
    ),
    pytest.param(
        "hetero_lr_normal",
        [("conf", f"{HOST_READER}/table", "breast_hetero_host")],
        [
            "conf.component_parameters.role.host.0.reader_0.table: "
            "expected an object, got 'breast_hetero_host'"
        ],
        id="table-not-object",
    ),
    pytest.param(
        "hetero_lr_normal",
        [
            (
                "conf",
                f"{GUEST_READER}/table",
                {
                    "job_id": "job 1",
                    "component_name": "hetero_lr_0",
                    "data_name": "data",
                },
            )
        ],
        [
            "conf.component_parameters.role.guest.0.reader_0.table.job_id: "
            "'job 1' is not a valid job id"
        ],
        id="job-output-bad-job-id",
    ),
    pytest.param(
        "hetero_lr_normal",
        [
            (
                "conf",
                f"{GUEST_READER}/table",
                {"job_id": JOB_ID, "component_name": 3, "data_name": "data"},
            )
        ],
        [
            "conf.component_parameters.role.guest.0.reader_0.table.component_name: "
            "expected a non-empty string, got 3"
        ],
        id="job-output-component-not-string",
    ),
    pytest.param(
        "hetero_lr_normal",
        [("conf", "component_parameters", [])],
        ["conf.component_parameters: expected an object, got an array"],
        id="parameters-section-not-object",
    ),
]


@pytest.mark.parametrize(("job", "edits", "expected"), INVALID_CASES)
def test_invalid_job_is_rejected(
    job: str, edits: list[Edit], expected: list[str]
) -> None:
    dsl, conf = edited(job, edits)

    with pytest.raises(InvalidInput) as caught:
        parse_job(dsl, conf)

    for text in expected:
        assert text in caught.value.message


def test_cycle_message_leaves_out_downstream() -> None:
    dsl, conf = edited(
        "hetero_lr_normal",
        [
            (
                "dsl",
                "components/intersection_0/input/data/data",
                ["data_transform_0.data", "hetero_lr_0.data"],
            )
        ],
    )

    with pytest.raises(InvalidInput) as caught:
        parse_job(dsl, conf)

    assert "evaluation_0" not in caught.value.message
    assert "data_transform_0" not in caught.value.message


def test_dsl_v1_is_reported_before_dsl_errors() -> None:
    dsl, conf = edited(
        "hetero_lr_normal",
        [("conf", "dsl_version", 1), ("dsl", "components/reader_0", "not a component")],
    )

    with pytest.raises(InvalidInput, match="DSL v1 is not supported"):
        parse_job(dsl, conf)


@pytest.mark.parametrize(
    ("dsl", "conf", "expected"),
    [
        ([], {}, "dsl: expected an object, got an array"),
        ({"components": {}}, "conf.json", "conf: expected an object, got 'conf.json'"),
        (None, {}, "dsl: expected an object, got null"),
    ],
    ids=["dsl-array", "conf-string", "dsl-null"],
)
def test_document_must_be_object(dsl: object, conf: object, expected: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_job(dsl, conf)

    assert expected in caught.value.message


# Job ids and output tables.


def test_generate_job_id_format() -> None:
    now = datetime(2021, 11, 3, 17, 59, 29, 463102)

    job_id = generate_job_id(now)

    assert re.fullmatch(r"20211103175929463102[0-9]", job_id)


def test_generate_job_id_unique() -> None:
    job_ids = [generate_job_id() for _ in range(20)]

    assert len(set(job_ids)) == 20
    for job_id in job_ids:
        assert re.fullmatch(r"[0-9]{21}", job_id)
        assert validate_job_id(job_id) == job_id


def test_job_id_counter_wraps_after_ten() -> None:
    now = datetime(2021, 11, 3, 17, 59, 29, 463102)

    job_ids = [generate_job_id(now) for _ in range(11)]

    assert len(set(job_ids[:10])) == 10
    assert job_ids[10] == job_ids[0]


@pytest.mark.parametrize(
    "job_id", [JOB_ID, "a", "job_1-A", "x" * 64], ids=["fate", "one", "mixed", "64"]
)
def test_valid_job_id_is_returned(job_id: str) -> None:
    assert validate_job_id(job_id) == job_id


@pytest.mark.parametrize(
    ("job_id", "shown"),
    [
        ("", "''"),
        ("x" * 65, "'xxxxxxxxxxxx...xxxxxxxxxxxxx'"),
        ("job 1", "'job 1'"),
        ("job/1", "'job/1'"),
        ("jöb", "'jöb'"),
        ("job\n", "'job\\n'"),
        (202111031759294631020, "202111031759294631020"),
        (None, "null"),
    ],
    ids=["empty", "65", "space", "slash", "non-ascii", "newline", "number", "null"],
)
def test_invalid_job_id_is_rejected(job_id: object, shown: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_job_id(job_id)

    assert f"job_id {shown} is invalid" in caught.value.message
    assert "1 to 64 characters" in caught.value.message


OUTPUT_TASK: dict[str, Any] = {
    "job_id": JOB_ID,
    "component": "hetero_lr_0",
    "role": "guest",
    "party_id": "9999",
    "data_name": "data",
}


def output_table(**changes: Any) -> TableRef:
    return default_output_table(**{**OUTPUT_TASK, **changes})


def test_default_output_table_is_fixed() -> None:
    output = output_table()

    # A changed name would orphan every output table reported before.
    assert output == TableRef(
        namespace="output_data_202111031759294631020_hetero_lr_0_0",
        name="9a1ea40518655ff483a3cf6bb93182ca",
    )
    assert output_table() == output


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("party_id", "10000"),
        ("role", "host"),
        ("data_name", "train_data"),
        ("component", "hetero_lr_1"),
        ("job_id", "202111031759294631021"),
    ],
)
def test_output_table_differs_per_output(field: str, value: str) -> None:
    base = output_table()

    other = output_table(**{field: value})

    assert other.name != base.name
    assert re.fullmatch(r"[0-9a-f]{32}", other.name)


def test_default_output_table_task_version() -> None:
    base = output_table()

    retry = output_table(task_version=1)

    assert retry.namespace == "output_data_202111031759294631020_hetero_lr_0_1"
    assert retry.name != base.name


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"job_id": "job 1"}, "job_id 'job 1' is invalid"),
        ({"task_version": -1}, "task_version -1 is invalid"),
    ],
    ids=["job-id", "negative-version"],
)
def test_default_output_table_rejects(changes: dict[str, Any], expected: str) -> None:
    with pytest.raises(InvalidInput, match=re.escape(expected)):
        output_table(**changes)
