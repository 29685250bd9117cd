"""Every query in neo4j-browser/, run on the stack's real Neo4j.

The test records the hetero-LR example in its own namespace and job ids,
runs each file with its own values for the file's parameters, and checks the
rows. A new file fails the run until it gets a check below.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import redis

from fate_lineage.api.app import create_app
from tests.integration.conftest import hetero_lr_example

if TYPE_CHECKING:
    from flask.testing import FlaskClient

    from fate_lineage.conf import Settings
    from fate_lineage.graph.driver import Neo4jGraph
    from tests.integration.conftest import TrackingScope

QUERIES = Path(__file__).resolve().parents[2] / "neo4j-browser"
FILES = sorted(QUERIES.glob("*.cypher"))
GUEST = {"role": "guest", "party_id": "9999"}
# The guest's chain in the hetero-LR example, from the uploaded table down.
GUEST_CHAIN = [
    "reader_0",
    "data_transform_0",
    "intersection_0",
    "hetero_lr_0",
    "evaluation_0",
]


@dataclasses.dataclass
class Header:
    parameters: list[str]
    param_line: str | None
    statement: str


def read_header(path: Path) -> Header:
    """Split a file into its listed parameters, `:param` line and statement."""
    lines = path.read_text(encoding="utf-8").splitlines()
    comments = [
        line.removeprefix("//").strip() for line in lines if line.startswith("//")
    ]
    parameters: list[str] = []
    listing = False
    for comment in comments:
        if comment.startswith("Parameters:"):
            listing = comment == "Parameters:"
        elif listing and comment:
            parameters.append(comment.split()[0])
        else:
            listing = False
    param_lines = [c for c in comments if c.startswith(":param ")]
    statement = "\n".join(line for line in lines if not line.startswith("//"))
    return Header(parameters, param_lines[0] if param_lines else None, statement)


def key(table: dict[str, Any]) -> tuple[str, str]:
    return (table["namespace"], table["name"])


@dataclasses.dataclass
class Recorded:
    """The hetero-LR example recorded by one test, and a way to query it."""

    graph: Neo4jGraph
    namespace: str
    job_prefix: str
    job_id: str
    held_job_id: str
    returned_job_id: str
    guest_outputs: dict[str, tuple[str, str]]

    @property
    def uploaded(self) -> tuple[str, str]:
        return (self.namespace, "breast_hetero_guest")

    def run(self, query: str, /, **parameters: Any) -> list[dict[str, Any]]:
        """Run neo4j-browser/<query>.cypher and return its rows as plain values."""
        statement = read_header(QUERIES / f"{query}.cypher").statement
        records, _, _ = self.graph.driver.execute_query(
            statement, parameters, database_=self.graph.database
        )
        return [record.data() for record in records]


def ok(client: FlaskClient, path: str, body: Any) -> Any:
    response = client.post(path, json=body)
    reply = response.get_json()
    assert response.status_code == 200, reply
    assert reply["retcode"] == 0, reply
    return reply["data"]


@pytest.fixture
def recorded(
    settings: Settings,
    graph: Neo4jGraph,
    redis_client: redis.Redis,
    scope: TrackingScope,
) -> Iterator[Recorded]:
    """Record a simulated job, a job holding resources and one that gave them back.

    Resources are accounted under a Redis key namespace of the test's own, so
    the running service's engines never change.
    """
    key_namespace = f"test_{scope.token}"
    app = create_app(
        dataclasses.replace(
            settings,
            resource_manager=dataclasses.replace(
                settings.resource_manager, key_namespace=key_namespace
            ),
        )
    )
    app.extensions["fate_lineage"].resources.register_engines()
    client = app.test_client()

    for name in ("breast_hetero_guest", "breast_hetero_host"):
        ok(
            client,
            "/v1/data/upload",
            {"table_name": name, "namespace": scope.namespace},
        )
    dsl, conf = hetero_lr_example(scope.namespace)
    job_ids = [scope.job_id(suffix) for suffix in ("lr", "held", "returned")]
    for job_id in job_ids:
        ok(
            client,
            "/v1/job/submit",
            {"dsl": dsl, "runtime_conf": conf, "job_id": job_id},
        )
    job_id, held_job_id, returned_job_id = job_ids
    ok(client, "/v1/job/simulate", {"job_id": job_id})
    ok(client, "/v1/resource/apply", {"job_id": held_job_id})
    ok(client, "/v1/resource/apply", {"job_id": returned_job_id})
    ok(client, "/v1/resource/return", {"job_id": returned_job_id})

    guest_outputs = {}
    for component in GUEST_CHAIN:
        [output] = ok(
            client,
            "/v1/tracking/component/output/data/table",
            {"job_id": job_id, "component_name": component, **GUEST},
        )
        guest_outputs[component] = (output["table_namespace"], output["table_name"])

    yield Recorded(
        graph,
        scope.namespace,
        scope.job_prefix,
        job_id,
        held_job_id,
        returned_job_id,
        guest_outputs,
    )
    keys = list(redis_client.scan_iter(match=f"{key_namespace}:*", count=1000))
    if keys:
        redis_client.delete(*keys)


def edge_list(rows: list[dict[str, Any]]) -> list[tuple[Any, Any]]:
    """Return the (child, parent) keys of lineage rows, with None for no parent."""
    return [
        (key(row["child"]), key(row["parent"]) if row["parent"] else None)
        for row in rows
    ]


def check_table_lineage(recorded: Recorded) -> None:
    outputs = recorded.guest_outputs
    namespace, name = outputs["intersection_0"]

    rows = recorded.run("table_lineage", namespace=namespace, name=name, hops=2)
    # Browser sends the numbers of a :param map as floats.
    wide = recorded.run("table_lineage", namespace=namespace, name=name, hops=10.0)
    uploaded = recorded.run(
        "table_lineage",
        namespace=recorded.namespace,
        name="breast_hetero_guest",
        hops=1,
    )

    # The Reader's parent, the uploaded table, is three hops up: left out.
    assert sorted(edge_list(rows), key=str) == sorted(
        [
            (outputs["intersection_0"], outputs["data_transform_0"]),
            (outputs["data_transform_0"], outputs["reader_0"]),
            (outputs["reader_0"], None),
            (outputs["hetero_lr_0"], outputs["intersection_0"]),
            (outputs["evaluation_0"], outputs["hetero_lr_0"]),
        ],
        key=str,
    )
    assert {row["derived"][1] for row in rows if row["derived"]} == {"DERIVED_FROM"}
    assert (outputs["reader_0"], recorded.uploaded) in edge_list(wide)
    assert (recorded.uploaded, None) in edge_list(wide)
    assert len(wide) == 6
    # One hop down from the upload: only the simulated job's Reader wrote.
    assert edge_list(uploaded) == [
        (outputs["reader_0"], recorded.uploaded),
        (recorded.uploaded, None),
    ]


def check_table_sources(recorded: Recorded) -> None:
    namespace, name = recorded.guest_outputs["hetero_lr_0"]

    rows = recorded.run("table_sources", namespace=namespace, name=name)
    reader_rows = recorded.run(
        "table_sources",
        namespace=recorded.guest_outputs["reader_0"][0],
        name=recorded.guest_outputs["reader_0"][1],
    )
    uploaded_rows = recorded.run(
        "table_sources", namespace=recorded.namespace, name="breast_hetero_guest"
    )

    parent_namespace, parent_name = recorded.guest_outputs["intersection_0"]
    assert rows == [
        {
            "parent_table_name": parent_name,
            "parent_table_namespace": parent_namespace,
            "source_table_name": "breast_hetero_guest",
            "source_table_namespace": recorded.namespace,
            "source_origin": "upload",
        }
    ]
    # A parent with no parent of its own is its own source.
    assert [row["source_table_name"] for row in reader_rows] == ["breast_hetero_guest"]
    assert [row["parent_table_name"] for row in reader_rows] == ["breast_hetero_guest"]
    assert uploaded_rows == []


def check_table_jobs(recorded: Recorded) -> None:
    namespace, name = recorded.guest_outputs["intersection_0"]

    uploaded = recorded.run(
        "table_jobs", namespace=recorded.namespace, name="breast_hetero_guest"
    )
    output = recorded.run("table_jobs", namespace=namespace, name=name)

    created = [row["created"] for row in uploaded]
    # Every job of the example reads the uploaded table through its Reader.
    assert sorted(row["job_id"] for row in uploaded) == sorted(
        [recorded.job_id, recorded.held_job_id, recorded.returned_job_id]
    )
    assert {(row["relation"], row["component"]) for row in uploaded} == {
        ("read", "reader_0")
    }
    assert created == sorted(created, reverse=True)
    assert {row["role"] for row in uploaded} == {"guest"}
    assert {row["slot"] for row in uploaded} == {"table"}
    assert [(row["relation"], row["component"], row["slot"]) for row in output] == [
        ("read", "hetero_lr_0", "train_data"),
        ("wrote", "intersection_0", "data"),
    ]
    assert [row["task_version"] for row in output] == [None, 0]
    assert {row["job_status"] for row in output} == {"success"}


def check_job_tables(recorded: Recorded) -> None:
    rows = recorded.run("job_tables", job_id=recorded.job_id)
    waiting = recorded.run("job_tables", job_id=recorded.held_job_id)

    guest = {
        (row["component"], row["direction"]): (row["namespace"], row["name"])
        for row in rows
        if row["role"] == "guest"
    }
    outputs = recorded.guest_outputs
    assert guest[("reader_0", "input")] == recorded.uploaded
    for upstream, component in itertools.pairwise(GUEST_CHAIN):
        assert guest[(component, "input")] == outputs[upstream]
    for component in GUEST_CHAIN:
        assert guest[(component, "output")] == outputs[component]
    assert {row["latest"] for row in rows if row["direction"] == "output"} == {True}
    assert {row["task_status"] for row in rows if row["role"] == "guest"} == {"success"}
    # The arbiter has no data, so its tasks read and wrote nothing.
    assert {row["direction"] for row in rows if row["role"] == "arbiter"} == {None}
    # A job that never ran has only the Readers' inputs.
    assert {
        (row["component"], row["direction"]) for row in waiting if row["direction"]
    } == {("reader_0", "input")}


def check_job_graph(recorded: Recorded) -> None:
    rows = recorded.run("job_graph", job_id=recorded.job_id)

    # Each row's path runs from the job to one task: [job, "PART_OF", task].
    tasks = [row["part"][2] for row in rows]
    guest = [row for row in rows if row["part"][2]["role"] == "guest"]
    read = {
        (row["part"][2]["component"], key(path[0]))
        for row in guest
        for path in row["inputs"]
    }
    wrote = {
        (row["part"][2]["component"], key(path[2]))
        for row in guest
        for path in row["outputs"]
    }
    # Five components, each with a task for the guest, the host and the arbiter.
    assert len(rows) == 15
    assert {row["part"][0]["job_id"] for row in rows} == {recorded.job_id}
    assert {task["job_id"] for task in tasks} == {recorded.job_id}
    assert ("reader_0", recorded.uploaded) in read
    assert wrote == {
        (component, recorded.guest_outputs[component]) for component in GUEST_CHAIN
    }


def check_jobs_holding_resources(recorded: Recorded) -> None:
    rows = recorded.run("jobs_holding_resources")

    ours = [row for row in rows if row["job_id"].startswith(recorded.job_prefix)]
    assert [row["job_id"] for row in ours] == [recorded.held_job_id]
    [held] = ours
    assert held["job_status"] == "waiting"
    assert held["cores"] == 8
    assert held["memory_mb"] == 0
    assert held["applied"] is not None
    assert len(held["events"]) == 1
    assert held["events"][0].endswith(" applied 8 cores 0 MB")


def check_recent_jobs(recorded: Recorded) -> None:
    # Browser sends the numbers of a :param map as floats.
    rows = recorded.run("recent_jobs", limit=50.0)
    first = recorded.run("recent_jobs", limit=1)

    ours = {row["job_id"]: row for row in rows}
    simulated = ours[recorded.job_id]
    created = [row["created"] for row in rows]
    assert len(first) == 1
    assert len(rows) <= 50
    assert created == sorted(created, reverse=True)
    assert recorded.held_job_id in ours
    assert simulated["job_status"] == "success"
    assert simulated["tasks"] == 15
    # Guest and host each read one table per component and write one.
    assert simulated["inputs"] == 10
    assert simulated["outputs"] == 10
    assert ours[recorded.held_job_id]["inputs"] == 2
    assert ours[recorded.held_job_id]["outputs"] == 0


CHECKS: dict[str, Callable[[Recorded], None]] = {
    "table_lineage": check_table_lineage,
    "table_sources": check_table_sources,
    "table_jobs": check_table_jobs,
    "job_tables": check_job_tables,
    "job_graph": check_job_graph,
    "jobs_holding_resources": check_jobs_holding_resources,
    "recent_jobs": check_recent_jobs,
}


def test_every_check_has_a_file() -> None:
    assert sorted(CHECKS) == sorted(path.stem for path in FILES)


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.name)
def test_query_returns_expected_rows(path: Path, recorded: Recorded) -> None:
    assert path.stem in CHECKS, f"add a check for {path.name} to CHECKS"

    CHECKS[path.stem](recorded)


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.name)
def test_header_lists_parameters(path: Path, graph: Neo4jGraph) -> None:
    header = read_header(path)
    used = sorted(set(re.findall(r"\$(\w+)", header.statement)))

    assert path.read_text(encoding="utf-8").startswith("//")
    assert sorted(header.parameters) == used
    if not used:
        assert header.param_line is None
        return
    assert header.param_line is not None
    # Browser reads the map as Cypher does, so Neo4j checks that it parses.
    map_text = header.param_line.removeprefix(":param ")
    records, _, _ = graph.driver.execute_query(
        f"RETURN {map_text} AS parameters", database_=graph.database
    )
    assert sorted(records[0]["parameters"]) == used
