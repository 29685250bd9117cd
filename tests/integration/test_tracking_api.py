"""Table provenance through the HTTP API, on the stack's real Neo4j."""

from __future__ import annotations

import dataclasses
import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from fate_lineage.tracking.dsl import TableRef
from fate_lineage.tracking.queries import Queries

if TYPE_CHECKING:
    from flask.testing import FlaskClient

    from tests.integration.conftest import TrackingScope

FIXTURES = Path(__file__).resolve().parents[2] / "examples" / "fate"

# A Reader and one transform: enough tasks to hang any synthetic graph on,
# since a report may name its own inputs and outputs.
TINY_DSL = {
    "components": {
        "reader_0": {"module": "Reader", "output": {"data": ["data"]}},
        "transform_0": {
            "module": "DataTransform",
            "input": {"data": {"data": ["reader_0.data"]}},
            "output": {"data": ["data"]},
        },
    }
}


def post(client: FlaskClient, path: str, body: Any) -> tuple[int, dict[str, Any]]:
    response = client.post(path, json=body)
    return response.status_code, response.get_json()


def ok(client: FlaskClient, path: str, body: Any) -> Any:
    status, reply = post(client, path, body)
    assert status == 200, reply
    assert reply["retcode"] == 0, reply
    return reply["data"]


def upload(client: FlaskClient, namespace: str, name: str) -> None:
    ok(client, "/v1/data/upload", {"table_name": name, "namespace": namespace})


def tiny_conf(namespace: str, reader_table: str) -> dict[str, Any]:
    return {
        "dsl_version": 2,
        "initiator": {"role": "guest", "party_id": 9999},
        "role": {"guest": [9999]},
        "component_parameters": {
            "role": {
                "guest": {
                    "0": {
                        "reader_0": {
                            "table": {"name": reader_table, "namespace": namespace}
                        }
                    }
                }
            }
        },
    }


class Graph:
    """Builds a synthetic graph: each ``link`` is one report of transform_0.

    Each link writes its child under an output slot named after the child.
    """

    def __init__(self, client: FlaskClient, scope: TrackingScope) -> None:
        self.client = client
        self.ns = scope.namespace
        self.job_id = scope.job_id("graph")
        upload(client, self.ns, "seed")
        ok(
            client,
            "/v1/job/submit",
            {
                "dsl": TINY_DSL,
                "runtime_conf": tiny_conf(self.ns, "seed"),
                "job_id": self.job_id,
            },
        )

    def link(self, child: str, *parents: str) -> dict[str, Any]:
        result: dict[str, Any] = ok(
            self.client,
            "/v1/tracking/component/output/data/report",
            {
                "job_id": self.job_id,
                "component_name": "transform_0",
                "role": "guest",
                "party_id": "9999",
                "inputs": [
                    {"table_name": parent, "namespace": self.ns} for parent in parents
                ],
                # One output slot per child, so links never rewrite each other.
                "outputs": [
                    {"data_name": child, "table_name": child, "namespace": self.ns}
                ],
            },
        )
        return result

    def key(self, name: str) -> dict[str, str]:
        return {"table_name": name, "namespace": self.ns}

    def sources(self, name: str) -> list[tuple[str, str]]:
        items = ok(self.client, "/v1/table/tracking/source", self.key(name))
        return [
            (item["parent_table_name"], item["source_table_name"]) for item in items
        ]

    def lineage(self, name: str, **options: Any) -> dict[str, Any]:
        result: dict[str, Any] = ok(
            self.client, "/v1/table/lineage", {**self.key(name), **options}
        )
        return result


@pytest.fixture
def synthetic(client: FlaskClient, scope: TrackingScope) -> Graph:
    return Graph(client, scope)


def names_of(answer: dict[str, Any]) -> set[str]:
    return {node["name"] for node in answer["nodes"]}


def test_unknown_table_is_404(client: FlaskClient, scope: TrackingScope) -> None:
    key = {"table_name": "missing", "namespace": scope.namespace}

    for path in ("/v1/table/tracking/source", "/v1/table/tracking/job"):
        status, reply = post(client, path, key)

        assert status == 404
        assert reply["retcode"] == 100
        assert "table name missing" in reply["retmsg"]
        assert scope.namespace in reply["retmsg"]


def test_uploaded_table_has_no_source(synthetic: Graph) -> None:
    assert synthetic.sources("seed") == []


def test_several_parents_each_with_source(synthetic: Graph) -> None:
    upload(synthetic.client, synthetic.ns, "root")
    synthetic.link("left", "root")
    synthetic.link("child", "left", "seed")

    assert synthetic.sources("child") == [("left", "root"), ("seed", "seed")]


def test_parent_with_several_roots(synthetic: Graph) -> None:
    upload(synthetic.client, synthetic.ns, "root_a")
    upload(synthetic.client, synthetic.ns, "root_b")
    synthetic.link("middle", "root_a", "root_b")
    synthetic.link("child", "middle")

    assert synthetic.sources("child") == [("middle", "root_a"), ("middle", "root_b")]


def test_diamond_reaches_root_once(synthetic: Graph) -> None:
    synthetic.link("left", "seed")
    synthetic.link("right", "seed")
    synthetic.link("bottom", "left", "right")

    answer = synthetic.lineage("bottom", depth=5)

    assert synthetic.sources("bottom") == [("left", "seed"), ("right", "seed")]
    assert names_of(answer) == {"bottom", "left", "right", "seed"}
    assert len(answer["edges"]) == 4


def test_cycle_terminates(synthetic: Graph) -> None:
    synthetic.link("b", "seed")
    synthetic.link("c", "b")
    synthetic.link("seed", "c")

    answer = synthetic.lineage("b", direction="both", depth=50)

    assert names_of(answer) == {"seed", "b", "c"}
    assert len(answer["edges"]) == 3
    assert answer["truncated"] is False
    # Every ancestor of seed has a parent, so seed is its own source.
    assert synthetic.sources("b") == [("seed", "seed")]


def test_depth_limits_hops(synthetic: Graph) -> None:
    previous = "seed"
    for index in range(5):
        synthetic.link(f"chain_{index}", previous)
        previous = f"chain_{index}"

    answer = synthetic.lineage("chain_4", depth=2)

    assert names_of(answer) == {"chain_4", "chain_3", "chain_2"}
    assert {node["hops"] for node in answer["nodes"]} == {0, 1, 2}
    assert answer["truncated"] is False
    assert synthetic.sources("chain_4") == [("chain_3", "seed")]


def test_node_budget_truncates(synthetic: Graph) -> None:
    parents = [f"parent_{index}" for index in range(5)]
    for parent in parents:
        upload(synthetic.client, synthetic.ns, parent)
    synthetic.link("child", *parents)

    answer = synthetic.lineage("child", node_budget=3)

    assert answer["truncated"] is True
    assert names_of(answer) == {"child", "parent_0", "parent_1"}
    assert len(answer["edges"]) == 2


def test_as_of_hides_later_records(synthetic: Graph) -> None:
    synthetic.link("early", "seed")
    time.sleep(0.01)
    moment = time.time_ns() // 1_000_000
    time.sleep(0.01)
    synthetic.link("late", "early")

    now = synthetic.lineage("early", direction="down")
    before = synthetic.lineage("early", direction="down", as_of=moment)
    status, reply = post(
        synthetic.client,
        "/v1/table/lineage",
        {**synthetic.key("late"), "as_of": moment},
    )

    assert names_of(now) == {"early", "late"}
    assert names_of(before) == {"early"}
    assert status == 404
    assert "after as_of" in reply["retmsg"]


def test_as_of_accepts_iso_time(synthetic: Graph) -> None:
    synthetic.link("child", "seed")

    later = synthetic.lineage("child", as_of="2999-01-01")
    status, reply = post(
        synthetic.client,
        "/v1/table/lineage",
        {**synthetic.key("child"), "as_of": "2000-01-01T00:00:00Z"},
    )

    assert later["as_of"] == 32472144000000
    assert names_of(later) == {"child", "seed"}
    assert status == 404
    assert "after as_of 946684800000" in reply["retmsg"]


def test_report_twice_changes_nothing(synthetic: Graph, graph_dump: Any) -> None:
    synthetic.link("child", "seed")
    first = graph_dump(synthetic.ns, synthetic.job_id)

    synthetic.link("child", "seed")
    second = graph_dump(synthetic.ns, synthetic.job_id)

    assert first == second


def test_many_inputs_many_outputs_records_every_edge(synthetic: Graph) -> None:
    for name in ("in_a", "in_b", "in_c"):
        upload(synthetic.client, synthetic.ns, name)
    result = ok(
        synthetic.client,
        "/v1/tracking/component/output/data/report",
        {
            "job_id": synthetic.job_id,
            "component_name": "transform_0",
            "role": "guest",
            "party_id": 9999,
            "inputs": [synthetic.key(name) for name in ("in_a", "in_b", "in_c")],
            "outputs": [
                {"data_name": name, **synthetic.key(f"out_{name}")}
                for name in ("train", "test")
            ],
        },
    )

    assert result["edge_count"] == 6
    for output in ("out_train", "out_test"):
        parents = {parent for parent, _ in synthetic.sources(output)}
        assert parents == {"in_a", "in_b", "in_c"}


def test_explicit_parents_narrow_edges(synthetic: Graph) -> None:
    upload(synthetic.client, synthetic.ns, "other")
    ok(
        synthetic.client,
        "/v1/tracking/component/output/data/report",
        {
            "job_id": synthetic.job_id,
            "component_name": "transform_0",
            "role": "guest",
            "party_id": "9999",
            "inputs": [synthetic.key("seed")],
            "outputs": [
                {
                    "data_name": "data",
                    **synthetic.key("narrow"),
                    "parents": [synthetic.key("other")],
                }
            ],
        },
    )

    assert synthetic.sources("narrow") == [("other", "other")]


def test_unresolved_input_is_skipped(client: FlaskClient, scope: TrackingScope) -> None:
    upload(client, scope.namespace, "seed")
    job_id = scope.job_id()
    ok(
        client,
        "/v1/job/submit",
        {
            "dsl": TINY_DSL,
            "runtime_conf": tiny_conf(scope.namespace, "seed"),
            "job_id": job_id,
        },
    )

    status, reply = post(
        client,
        "/v1/tracking/component/output/data/report",
        {
            "job_id": job_id,
            "component_name": "transform_0",
            "role": "guest",
            "party_id": "9999",
        },
    )

    assert status == 200
    assert reply["retcode"] == 0
    assert reply["data"]["outputs"] == []
    assert "reader_0 has not reported its outputs yet" in reply["data"]["skipped"][0]


def test_unknown_reader_table_is_recorded(
    client: FlaskClient, scope: TrackingScope
) -> None:
    status, reply = post(
        client,
        "/v1/job/submit",
        {
            "dsl": TINY_DSL,
            "runtime_conf": tiny_conf(scope.namespace, "absent"),
            "job_id": scope.job_id(),
        },
    )
    table = ok(
        client,
        "/v1/table/table_info",
        {"table_name": "absent", "namespace": scope.namespace},
    )

    assert status == 200
    assert f"{scope.namespace}/absent" in reply["data"]["warnings"][0]
    assert "flow data upload" in reply["data"]["warnings"][0]
    assert table["origin"] == "unregistered"


def test_concurrent_status_changes_end_once(
    client: FlaskClient, scope: TrackingScope
) -> None:
    upload(client, scope.namespace, "seed")
    app = client.application
    job_ids = [scope.job_id(str(index)) for index in range(8)]
    for job_id in job_ids:
        ok(
            client,
            "/v1/job/submit",
            {
                "dsl": TINY_DSL,
                "runtime_conf": tiny_conf(scope.namespace, "seed"),
                "job_id": job_id,
            },
        )

    def move(job_id: str, status: str) -> int:
        body = {"job_id": job_id, "status": status}
        return app.test_client().post("/v1/job/update", json=body).status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        moves = [(job_id, s) for job_id in job_ids for s in ("running", "canceled")]
        codes = list(pool.map(lambda m: move(*m), moves))
    final = [ok(client, "/v1/job/query", {"job_id": j})[0] for j in job_ids]

    assert set(codes) <= {200, 409}
    for job in final:
        # Once canceled, a job stays canceled; running first then canceled
        # also ends canceled. Only "canceled then running" was wrong.
        assert job["status"] in {"canceled", "running"}
        if job["status"] == "running":
            assert job.get("end_time") is None


def test_invalid_dsl_names_component(client: FlaskClient, scope: TrackingScope) -> None:
    dsl = json.loads(json.dumps(TINY_DSL))
    dsl["components"]["transform_0"]["input"]["data"]["data"] = ["reader_9.data"]

    status, reply = post(
        client,
        "/v1/job/submit",
        {"dsl": dsl, "runtime_conf": tiny_conf(scope.namespace, "seed")},
    )

    assert status == 400
    assert reply["retcode"] == 101
    assert "reader_9" in reply["retmsg"]


def test_missing_fields_listed(client: FlaskClient) -> None:
    status, reply = post(client, "/v1/job/submit", {"dsl": []})

    assert status == 400
    assert reply["retcode"] == 101
    assert "dsl: Not a valid mapping type" in reply["retmsg"]
    assert "runtime_conf: Missing data for required field" in reply["retmsg"]


@pytest.mark.parametrize(
    "body",
    [None, [], "text"],
    ids=["empty", "array", "string"],
)
def test_body_must_be_object(client: FlaskClient, body: Any) -> None:
    response = client.post(
        "/v1/table/tracking/source",
        data=json.dumps(body) if body is not None else "",
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.get_json()["retcode"] == 101


def test_job_status_transitions(client: FlaskClient, scope: TrackingScope) -> None:
    upload(client, scope.namespace, "seed")
    job_id = scope.job_id()
    body = {
        "dsl": TINY_DSL,
        "runtime_conf": tiny_conf(scope.namespace, "seed"),
        "job_id": job_id,
    }
    ok(client, "/v1/job/submit", body)

    running = ok(client, "/v1/job/update", {"job_id": job_id, "status": "running"})
    again = ok(client, "/v1/job/update", {"job_id": job_id, "status": "running"})
    ended = ok(client, "/v1/job/update", {"job_id": job_id, "status": "success"})
    status, reply = post(
        client, "/v1/job/update", {"job_id": job_id, "status": "running"}
    )

    assert running["start_time"] >= running["create_time"]
    assert again == running
    assert ended["end_time"] >= ended["start_time"]
    assert status == 409
    assert reply["retcode"] == 103
    assert "success and cannot become running" in reply["retmsg"]


def test_resubmit_same_job_is_noop(client: FlaskClient, scope: TrackingScope) -> None:
    upload(client, scope.namespace, "seed")
    body = {
        "dsl": TINY_DSL,
        "runtime_conf": tiny_conf(scope.namespace, "seed"),
        "job_id": scope.job_id(),
    }
    ok(client, "/v1/job/submit", body)

    status, reply = post(client, "/v1/job/submit", body)
    changed = {
        **body,
        "dsl": {"components": {"reader_0": TINY_DSL["components"]["reader_0"]}},
    }
    conflict_status, conflict = post(client, "/v1/job/submit", changed)

    assert status == 200
    assert "nothing changed" in reply["retmsg"]
    assert conflict_status == 409
    assert scope.job_id() in conflict["retmsg"]


def test_upload_over_output_table_conflicts(synthetic: Graph) -> None:
    synthetic.link("child", "seed")

    status, reply = post(synthetic.client, "/v1/data/upload", synthetic.key("child"))

    assert status == 409
    assert "written by a job task" in reply["retmsg"]


def test_unknown_job_is_404(client: FlaskClient, scope: TrackingScope) -> None:
    for path in ("/v1/job/query", "/v1/job/simulate", "/v1/job/stop"):
        status, reply = post(client, path, {"job_id": scope.job_id("absent")})

        assert status == 404
        assert reply["retcode"] == 100
        assert scope.job_id("absent") in reply["retmsg"]


def test_table_list_and_jobs_pages(synthetic: Graph) -> None:
    for index in range(3):
        upload(synthetic.client, synthetic.ns, f"page_{index}")

    first = ok(
        synthetic.client,
        "/v1/table/list",
        {"namespace_prefix": synthetic.ns, "page": 1, "page_size": 2},
    )
    second = ok(
        synthetic.client,
        "/v1/table/list",
        {"namespace_prefix": synthetic.ns, "page": 2, "page_size": 2},
    )
    jobs = ok(
        synthetic.client,
        "/v1/table/jobs",
        {**synthetic.key("seed"), "start_time": "2000-01-01"},
    )
    none = ok(
        synthetic.client,
        "/v1/table/jobs",
        {**synthetic.key("seed"), "end_time": "2000-01-01"},
    )

    assert first["count"] == 4
    assert [t["name"] for t in first["tables"]] == ["page_0", "page_1"]
    assert [t["name"] for t in second["tables"]] == ["page_2", "seed"]
    assert [job["job_id"] for job in jobs["jobs"]] == [synthetic.job_id]
    assert none["count"] == 0


def test_page_size_over_limit(client: FlaskClient) -> None:
    status, reply = post(client, "/v1/table/list", {"page_size": 10**6})

    assert status == 400
    assert "lineage.max_page_size" in reply["retmsg"]


def load_fixture(folder: str, stem: str) -> tuple[Any, Any]:
    dsl = json.loads((FIXTURES / folder / f"{stem}_dsl.json").read_text())
    conf = json.loads((FIXTURES / folder / f"{stem}_conf.json").read_text())
    return dsl, conf


def run_fixture(
    client: FlaskClient, scope: TrackingScope, folder: str, stem: str
) -> dict[str, Any]:
    dsl, conf = load_fixture(folder, stem)
    submitted = ok(client, "/v1/job/submit", {"dsl": dsl, "runtime_conf": conf})
    scope.extra_job_ids.append(submitted["job_id"])
    result: dict[str, Any] = ok(
        client, "/v1/job/simulate", {"job_id": submitted["job_id"]}
    )
    return result


def outputs_of(result: dict[str, Any], component: str, role: str) -> list[Any]:
    for task in result["tasks"]:
        if (task["component_name"], task["role"]) == (component, role):
            return list(task["outputs"])
    raise AssertionError(f"no task {component} {role}")


def scoped(conf: Any, namespace: str) -> Any:
    """Return the conf with every Reader table moved into ``namespace``."""
    text = json.dumps(conf).replace(
        '"namespace": "experiment"', f'"namespace": "{namespace}"'
    )
    return json.loads(text)


def run_example(
    client: FlaskClient, scope: TrackingScope, folder: str, stem: str
) -> dict[str, Any]:
    dsl, conf = load_fixture(folder, stem)
    submitted = ok(
        client,
        "/v1/job/submit",
        {"dsl": dsl, "runtime_conf": scoped(conf, scope.namespace)},
    )
    scope.extra_job_ids.append(submitted["job_id"])
    result: dict[str, Any] = ok(
        client, "/v1/job/simulate", {"job_id": submitted["job_id"]}
    )
    return result


def upload_examples(client: FlaskClient, scope: TrackingScope) -> None:
    for side in ("guest", "host"):
        upload(client, scope.namespace, f"breast_hetero_{side}")
        upload(client, scope.namespace, f"motor_hetero_{side}")


def key_of(output: dict[str, Any]) -> dict[str, str]:
    return {"table_name": output["table_name"], "namespace": output["table_namespace"]}


def test_hetero_lr_chain(client: FlaskClient, scope: TrackingScope) -> None:
    upload_examples(client, scope)

    result = run_example(
        client, scope, "hetero_logistic_regression", "hetero_lr_normal"
    )
    [model_output] = outputs_of(result, "hetero_lr_0", "guest")
    [intersection] = outputs_of(result, "intersection_0", "guest")
    sources = ok(client, "/v1/table/tracking/source", key_of(model_output))
    jobs = ok(
        client,
        "/v1/table/tracking/job",
        {"table_name": "breast_hetero_guest", "namespace": scope.namespace},
    )

    assert result["status"] == "success"
    assert outputs_of(result, "hetero_lr_0", "arbiter") == []
    assert sources == [
        {
            "parent_table_name": intersection["table_name"],
            "parent_table_namespace": intersection["table_namespace"],
            "source_table_name": "breast_hetero_guest",
            "source_table_namespace": scope.namespace,
        }
    ]
    assert jobs == {"count": 1, "job": [result["job_id"]]}


def test_union_has_two_parents(client: FlaskClient, scope: TrackingScope) -> None:
    upload_examples(client, scope)

    result = run_example(client, scope, "union", "test_union_job")
    [union_output] = outputs_of(result, "union_0", "guest")
    sources = ok(client, "/v1/table/tracking/source", key_of(union_output))
    parents = {item["parent_table_namespace"] for item in sources}

    assert len(sources) == 2
    assert parents == {
        f"output_data_{result['job_id']}_intersection_0_0",
        f"output_data_{result['job_id']}_intersection_1_0",
    }
    assert {item["source_table_name"] for item in sources} == {"breast_hetero_guest"}
    # need_run false on the host leaves evaluation_0 without a host task.
    assert ("evaluation_0", "host") not in {
        (task["component_name"], task["role"]) for task in result["tasks"]
    }


def test_data_split_has_three_outputs(
    client: FlaskClient, scope: TrackingScope
) -> None:
    upload_examples(client, scope)

    result = run_example(client, scope, "data_split", "test_hetero_data_split_job")
    split_outputs = outputs_of(result, "hetero_data_split_0", "guest")
    [linr_output] = outputs_of(result, "hetero_linr_0", "guest")
    linr_sources = ok(client, "/v1/table/tracking/source", key_of(linr_output))
    listed = ok(
        client,
        "/v1/tracking/component/output/data/table",
        {
            "job_id": result["job_id"],
            "component_name": "hetero_data_split_0",
            "role": "guest",
            "party_id": "9999",
        },
    )

    assert [o["data_name"] for o in split_outputs] == [
        "train_data",
        "validate_data",
        "test_data",
    ]
    assert sorted(o["data_name"] for o in listed) == sorted(
        o["data_name"] for o in split_outputs
    )
    assert {item["parent_table_name"] for item in linr_sources} == {
        split_outputs[0]["table_name"],
        split_outputs[2]["table_name"],
    }
    assert {item["source_table_name"] for item in linr_sources} == {
        "motor_hetero_guest"
    }


def test_second_job_reads_first_output(
    client: FlaskClient, scope: TrackingScope
) -> None:
    upload_examples(client, scope)
    first = run_example(client, scope, "hetero_logistic_regression", "hetero_lr_normal")
    [guest_output] = outputs_of(first, "hetero_lr_0", "guest")
    dsl, conf = load_fixture("hetero_logistic_regression", "hetero_lr_normal")
    readers = conf["component_parameters"]["role"]
    readers["guest"]["0"]["reader_0"]["table"] = {
        "name": guest_output["table_name"],
        "namespace": guest_output["table_namespace"],
    }
    # The host names the same kind of table by job, component and data name.
    readers["host"]["0"]["reader_0"]["table"] = {
        "job_id": first["job_id"],
        "component_name": "hetero_lr_0",
        "data_name": "data",
    }

    submitted = ok(client, "/v1/job/submit", {"dsl": dsl, "runtime_conf": conf})
    scope.extra_job_ids.append(submitted["job_id"])
    second = ok(client, "/v1/job/simulate", {"job_id": submitted["job_id"]})
    [reader_output] = outputs_of(second, "reader_0", "guest")
    sources = ok(client, "/v1/table/tracking/source", key_of(reader_output))
    jobs = ok(client, "/v1/table/tracking/job", key_of(guest_output))
    [host_reader_output] = outputs_of(second, "reader_0", "host")
    host_sources = ok(client, "/v1/table/tracking/source", key_of(host_reader_output))

    assert sources == [
        {
            "parent_table_name": guest_output["table_name"],
            "parent_table_namespace": guest_output["table_namespace"],
            "source_table_name": "breast_hetero_guest",
            "source_table_namespace": scope.namespace,
        }
    ]
    # The first job's evaluation_0 read the table too; newest comes first.
    assert jobs == {"count": 2, "job": [second["job_id"], first["job_id"]]}
    assert [item["source_table_name"] for item in host_sources] == [
        "breast_hetero_host"
    ]


def test_simulate_twice_changes_nothing(
    client: FlaskClient, scope: TrackingScope, graph_dump: Any
) -> None:
    upload_examples(client, scope)
    result = run_example(
        client, scope, "hetero_logistic_regression", "hetero_lr_normal"
    )
    before = graph_dump(scope.namespace, result["job_id"])

    again = ok(client, "/v1/job/simulate", {"job_id": result["job_id"]})
    after = graph_dump(scope.namespace, result["job_id"])

    assert again["tasks"] == result["tasks"]
    assert before == after


def report_body(job_id: str, component: str, **extra: Any) -> dict[str, Any]:
    return {
        "job_id": job_id,
        "component_name": component,
        "role": "guest",
        "party_id": "9999",
        **extra,
    }


def test_rerun_uses_new_task_version(synthetic: Graph) -> None:
    reader = ok(
        synthetic.client,
        "/v1/tracking/component/output/data/report",
        report_body(synthetic.job_id, "reader_0"),
    )
    rerun = ok(
        synthetic.client,
        "/v1/tracking/component/output/data/report",
        report_body(synthetic.job_id, "reader_0", task_version=1),
    )
    transform = ok(
        synthetic.client,
        "/v1/tracking/component/output/data/report",
        report_body(synthetic.job_id, "transform_0"),
    )
    listed = ok(
        synthetic.client,
        "/v1/tracking/component/output/data/table",
        report_body(synthetic.job_id, "reader_0"),
    )
    stale_status, stale = post(
        synthetic.client,
        "/v1/tracking/component/output/data/report",
        report_body(synthetic.job_id, "reader_0", task_version=0),
    )

    assert reader["outputs"] != rerun["outputs"]
    assert rerun["outputs"][0]["table_namespace"].endswith("_reader_0_1")
    assert listed == rerun["outputs"]
    assert transform["inputs"][0]["table_name"] == rerun["outputs"][0]["table_name"]
    assert stale_status == 409
    assert "out of date" in stale["retmsg"]


def test_other_output_same_version_conflicts(synthetic: Graph) -> None:
    synthetic.link("first", "seed")

    status, reply = post(
        synthetic.client,
        "/v1/tracking/component/output/data/report",
        report_body(
            synthetic.job_id,
            "transform_0",
            outputs=[{"data_name": "first", **synthetic.key("second")}],
        ),
    )

    assert status == 409
    assert reply["retcode"] == 103
    assert "task_version 1" in reply["retmsg"]


@pytest.mark.parametrize(
    ("path", "raw", "expected"),
    [
        (
            "/v1/table/lineage",
            '{"table_name": "t", "namespace": "n", "depth": 1.5}',
            "depth: Not a valid integer",
        ),
        (
            "/v1/data/upload",
            '{"table_name": "t", "namespace": "n", "row_count": 99999999999999999999}',
            "row_count: Must be greater than or equal to 0",
        ),
        (
            "/v1/table/lineage",
            '{"table_name": "t", "namespace": "n", "as_of": "99999999999999999999"}',
            "as_of: Time",
        ),
        (
            "/v1/table/table_info",
            '{"table_name": "\\ud800", "namespace": "n"}',
            "not valid UTF-8",
        ),
        (
            "/v1/job/submit",
            '{"dsl": {"x": NaN}, "runtime_conf": {}}',
            "NaN is not a JSON number",
        ),
        ("/v1/job/query", "[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ("/v1/job/query", "{", "not valid JSON"),
        ("/v1/table/list", '{"page": 4611686018427387904}', "page: Must be"),
        (
            "/v1/table/jobs",
            '{"table_name": "t", "namespace": "n", "start_time": 5, "end_time": 1}',
            "must be before end_time",
        ),
        ("/v1/job/query", '{"job_id": ""}', "Invalid job id"),
    ],
    ids=[
        "fraction",
        "over-int64",
        "time-overflow",
        "surrogate",
        "nan",
        "deep",
        "broken-json",
        "huge-page",
        "reversed-range",
        "empty-job-id",
    ],
)
def test_bad_body_is_400(
    client: FlaskClient, path: str, raw: str, expected: str
) -> None:
    response = client.post(path, data=raw, content_type="application/json")
    reply = response.get_json()

    assert response.status_code == 400, reply
    assert reply["retcode"] == 101
    assert expected in reply["retmsg"]


def test_upload_over_reported_output_conflicts(synthetic: Graph) -> None:
    ok(
        synthetic.client,
        "/v1/tracking/component/output/data/report",
        report_body(
            synthetic.job_id,
            "transform_0",
            inputs=[],
            outputs=[{"data_name": "data", **synthetic.key("orphan")}],
        ),
    )

    status, reply = post(synthetic.client, "/v1/data/upload", synthetic.key("orphan"))

    assert status == 409
    assert "written by a job task" in reply["retmsg"]


def test_oversized_body_is_413(client: FlaskClient) -> None:
    response = client.post(
        "/v1/job/query",
        data=b"{" + b" " * (9 * 1024 * 1024) + b"}",
        content_type="application/json",
    )

    assert response.status_code == 413
    assert "8 MiB" in response.get_json()["retmsg"]


def test_upload_twice_replaces_metadata(
    client: FlaskClient, scope: TrackingScope, graph_dump: Any
) -> None:
    body = {
        "table_name": "t",
        "namespace": scope.namespace,
        "row_count": 5,
        "columns": ["id", "x"],
    }
    first = ok(client, "/v1/data/upload", body)
    dump = graph_dump(scope.namespace, scope.job_id())

    again = ok(client, "/v1/data/upload", body)
    same = graph_dump(scope.namespace, scope.job_id())
    smaller = ok(
        client,
        "/v1/data/upload",
        {"table_name": "t", "namespace": scope.namespace, "row_count": 2},
    )

    assert again == first
    assert dump == same
    assert smaller["row_count"] == 2
    assert "columns" not in smaller
    assert smaller["recorded_at"] == first["recorded_at"]


def test_party_id_leading_zero(synthetic: Graph) -> None:
    listed = ok(
        synthetic.client,
        "/v1/tracking/component/output/data/table",
        {**report_body(synthetic.job_id, "reader_0"), "party_id": "09999"},
    )

    assert listed == []


def test_root_exactly_at_max_depth_is_complete(synthetic: Graph) -> None:
    synthetic.link("middle", "seed")
    synthetic.link("top", "middle")
    synthetic.link("above", "top")
    backends = synthetic.client.application.extensions["fate_lineage"]
    limits = dataclasses.replace(backends.settings.lineage, max_depth=2)
    queries = Queries(backends.queries.repository, limits)

    exact, exact_complete = queries.tracking_source(TableRef(synthetic.ns, "top"))
    deeper, deeper_complete = queries.tracking_source(TableRef(synthetic.ns, "above"))

    assert [item["source_table_name"] for item in exact] == ["seed"]
    assert exact_complete is True
    assert [item["source_table_name"] for item in deeper] == ["middle"]
    assert deeper_complete is False


def test_jobs_of_table_paged(client: FlaskClient, scope: TrackingScope) -> None:
    upload(client, scope.namespace, "seed")
    job_ids = [scope.job_id(str(index)) for index in range(3)]
    for job_id in job_ids:
        body = {
            "dsl": TINY_DSL,
            "runtime_conf": tiny_conf(scope.namespace, "seed"),
            "job_id": job_id,
        }
        ok(client, "/v1/job/submit", body)
        time.sleep(0.005)
    key = {"table_name": "seed", "namespace": scope.namespace}

    first = ok(client, "/v1/table/jobs", {**key, "page_size": 2})
    second = ok(client, "/v1/table/jobs", {**key, "page_size": 2, "page": 2})
    tracked = ok(client, "/v1/table/tracking/job", key)

    assert first["count"] == second["count"] == 3
    assert [job["job_id"] for job in first["jobs"]] == job_ids[:0:-1]
    assert [job["job_id"] for job in second["jobs"]] == job_ids[:1]
    assert tracked == {"count": 3, "job": job_ids[::-1]}
