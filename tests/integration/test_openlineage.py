"""OpenLineage ingestion on the real Neo4j, fed with published events."""

from __future__ import annotations

import copy
import gzip
import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests

from tests.integration.conftest import TrackingScope, delete_scope, run_flow

if TYPE_CHECKING:
    from flask.testing import FlaskClient

    from fate_lineage.conf import Settings
    from fate_lineage.graph.driver import Neo4jGraph

FIXTURES = Path(__file__).parents[1] / "fixtures" / "openlineage"
Event = dict[str, Any]


def fixture_events(name: str) -> list[Event]:
    """Return a fixture set's events in their recorded order."""
    if name == "marquez-food-delivery":
        return _food_delivery_events()
    files = sorted(
        (FIXTURES / name).glob("*.json"),
        key=lambda path: int("".join(filter(str.isdigit, path.stem)) or 0),
    )
    return [json.loads(path.read_text()) for path in files]


def _food_delivery_events() -> list[Event]:
    """Fill the set's time placeholders: every run starts at one time."""
    start = datetime(2020, 2, 22, 22, 0, tzinfo=UTC)
    text = (FIXTURES / "marquez-food-delivery" / "metadata.template.json").read_text()
    text = text.replace("{{RUN_START_TIME}}", start.isoformat())
    for minutes in range(1, 61):
        end = (start + timedelta(minutes=minutes)).isoformat()
        text = text.replace(f"{{{{RUN_END_TIME_AFTER_{minutes}_MINUTES}}}}", end)
    events: list[Event] = json.loads(text)
    return events


def localize(event: Event, scope: TrackingScope) -> Event:
    """Move an event into the test's namespaces, so that cleanup finds it."""
    moved = copy.deepcopy(event)
    _move(moved, scope, in_job=False)
    return moved


def _move(value: Any, scope: TrackingScope, in_job: bool) -> None:
    if isinstance(value, list):
        for item in value:
            _move(item, scope, in_job)
    if not isinstance(value, dict):
        return
    if isinstance(value.get("namespace"), str):
        prefix = scope.job_prefix if in_job else scope.namespace
        value["namespace"] = f"{prefix}_{value['namespace']}"
    for key, item in value.items():
        _move(item, scope, in_job=key == "job")


def post(client: FlaskClient, path: str, body: Any) -> tuple[int, Any]:
    response = client.post(path, json=body)
    return response.status_code, response.get_json()


def ingest(client: FlaskClient, events: list[Event]) -> None:
    for event in events:
        status, reply = post(client, "/api/v1/lineage", event)
        assert (status, reply["retcode"]) == (200, 0), reply


def ingest_set(client: FlaskClient, scope: TrackingScope, name: str) -> None:
    events = [localize(event, scope) for event in fixture_events(name)]
    status, reply = post(client, "/api/v1/lineage/batch", events)
    assert status == 200, reply
    assert reply["data"]["succeeded"] == len(events), reply


def lineage_hops(
    client: FlaskClient, namespace: str, name: str, direction: str = "up"
) -> dict[tuple[str, str], int]:
    status, reply = post(
        client,
        "/v1/table/lineage",
        {
            "namespace": namespace,
            "table_name": name,
            "direction": direction,
            "depth": 10,
        },
    )
    assert status == 200, reply
    return {
        (node["namespace"], node["name"]): node["hops"]
        for node in reply["data"]["nodes"]
    }


def dump(graph: Neo4jGraph, scope: TrackingScope) -> list[str]:
    """Every node of the test with its outgoing edges, as sorted JSON lines."""
    records, _, _ = graph.driver.execute_query(
        "MATCH (node) WHERE node.namespace STARTS WITH $namespace "
        "  OR node.job_id STARTS WITH $job_prefix "
        "OPTIONAL MATCH (node)-[edge]->(other) "
        "RETURN labels(node) AS labels, properties(node) AS node, "
        "  type(edge) AS type, properties(edge) AS edge, "
        "  properties(other) AS other",
        {"namespace": scope.namespace, "job_prefix": scope.job_prefix},
        database_=graph.database,
    )
    return sorted(json.dumps(dict(record), sort_keys=True) for record in records)


def test_airflow_chain_three_hops_up(client: FlaskClient, scope: TrackingScope) -> None:
    ingest_set(client, scope, "airflow")
    bucket = f"{scope.namespace}_gs://mock-bucket"
    bigquery = f"{scope.namespace}_bigquery"

    hops = lineage_hops(client, bucket, "result.csv")

    assert hops == {
        (bucket, "result.csv"): 0,
        (bigquery, "mock-project.test.upload_cp"): 1,
        (bigquery, "mock-project.test.upload"): 2,
        (bucket, "copied.csv"): 3,
        (bucket, "test.csv"): 3,
    }


def test_tracking_queries_on_openlineage_tables(
    client: FlaskClient, scope: TrackingScope
) -> None:
    ingest_set(client, scope, "airflow")
    bucket = f"{scope.namespace}_gs://mock-bucket"
    job = f"{scope.job_prefix}_airflow/gcs_hook"

    _, sources = post(
        client,
        "/v1/table/tracking/source",
        {"table_name": "compose_result.txt", "namespace": bucket},
    )
    _, jobs = post(
        client,
        "/v1/table/tracking/job",
        {"table_name": "uploaded_file.txt", "namespace": bucket},
    )

    assert {
        (item["parent_table_name"], item["source_table_name"])
        for item in sources["data"]
    } == {
        ("uploaded_file.txt", "/files/temp/data.txt"),
        ("uploaded_data.txt", "uploaded_data.txt"),
        ("copy_of_uploaded_file.txt", "/files/temp/data.txt"),
        ("copy_of_uploaded_data.txt", "uploaded_data.txt"),
    }
    assert jobs["data"]["count"] == 3
    assert sorted(jobs["data"]["job"]) == [
        f"{job}.compose_task",
        f"{job}.download_to_file",
        f"{job}.rewrite_task",
    ]


def test_food_delivery_chain_is_four_hops(
    client: FlaskClient, scope: TrackingScope
) -> None:
    ingest_set(client, scope, "marquez-food-delivery")
    namespace = f"{scope.namespace}_food_delivery"

    hops = lineage_hops(client, namespace, "public.popular_orders_day_of_week")

    assert hops[(namespace, "public.top_delivery_times")] == 1
    assert hops[(namespace, "public.delivery_7_days")] == 2
    assert hops[(namespace, "public.orders_7_days")] == 3
    assert hops[(namespace, "public.orders")] == 4
    assert max(hops.values()) == 4


def test_runs_link_to_parent_runs(
    client: FlaskClient, graph: Neo4jGraph, scope: TrackingScope
) -> None:
    ingest_set(client, scope, "airflow")
    child_runs = {
        event["run"]["runId"]
        for event in fixture_events("airflow")
        if "parent" in event["run"]["facets"]
    }

    records, _, _ = graph.driver.execute_query(
        "MATCH (task:Task)-[:CHILD_OF]->(parent:Task)-[:PART_OF]->(job:Job) "
        "WHERE task.job_id STARTS WITH $prefix "
        "RETURN task.component AS run, task.status AS status, "
        "  job.job_name AS parent, job.status AS parent_status",
        {"prefix": scope.job_prefix},
        database_=graph.database,
    )

    runs = {record["run"]: dict(record) for record in records}
    assert len(runs) == len(child_runs) == 13
    assert runs["BQ.upload"] == {
        "run": "BQ.upload",
        "status": "success",
        "parent": "BQ",
        "parent_status": "success",
    }
    assert {record["parent"] for record in records} == {"BQ", "dag", "gcs_hook"}


def test_column_lineage_becomes_columns(
    client: FlaskClient, graph: Neo4jGraph, scope: TrackingScope
) -> None:
    events = [localize(event, scope) for event in fixture_events("spark-cll")]
    ingest(client, events)
    output = events[7]["outputs"][0]
    expected_edges = {
        (column, (source["name"], source["field"]))
        for column, spec in output["facets"]["columnLineage"]["fields"].items()
        for source in spec["inputFields"]
    }
    schema_columns = {field["name"] for field in output["facets"]["schema"]["fields"]}

    edges, _, _ = graph.driver.execute_query(
        "MATCH (:Table {namespace: $namespace, name: $name})-[:HAS_COLUMN]->"
        "  (column:Column)-[:DERIVED_FROM]->(source:Column) "
        "RETURN column.name AS column, source.table AS table, source.name AS field",
        {"namespace": output["namespace"], "name": output["name"]},
        database_=graph.database,
    )
    columns, _, _ = graph.driver.execute_query(
        "MATCH (:Table {namespace: $namespace, name: $name})-[:HAS_COLUMN]->"
        "  (column:Column) RETURN column.name AS column",
        {"namespace": output["namespace"], "name": output["name"]},
        database_=graph.database,
    )

    assert expected_edges
    assert {(r["column"], (r["table"], r["field"])) for r in edges} == expected_edges
    assert {record["column"] for record in columns} == schema_columns


def test_replay_order_gives_same_graph(
    client: FlaskClient, graph: Neo4jGraph, scope: TrackingScope
) -> None:
    events = [
        localize(event, scope)
        for name in ("airflow", "spark-cll", "simple", "marquez-food-delivery")
        for event in fixture_events(name)
    ]
    ingest(client, events)
    forward = dump(graph, scope)

    ingest(client, events)
    replayed = dump(graph, scope)
    delete_scope(graph, scope)
    ingest(client, list(reversed(events)))
    reversed_order = dump(graph, scope)
    delete_scope(graph, scope)
    shuffled = events[:]
    random.Random(7).shuffle(shuffled)
    status, reply = post(client, "/api/v1/lineage/batch", shuffled)
    assert status == 200, reply

    assert len(forward) > 300
    assert replayed == forward
    assert reversed_order == forward
    assert dump(graph, scope) == forward


def test_status_follows_rank_not_arrival(
    client: FlaskClient, graph: Neo4jGraph, scope: TrackingScope
) -> None:
    start, *_, complete = [
        localize(event, scope) for event in fixture_events("airflow")[1:3]
    ]
    failed = copy.deepcopy(start)
    failed["run"]["runId"] = "failed-run"
    failed["eventType"] = "FAIL"
    failed["eventTime"] = "2024-12-01T00:00:00Z"  # after the COMPLETE event
    ingest(client, [complete, start, failed])

    records, _, _ = graph.driver.execute_query(
        "MATCH (task:Task)-[:PART_OF]->(job:Job) WHERE job.job_id = $job_id "
        "RETURN task.party_id AS run, task.status AS status, "
        "  job.status AS job_status",
        {"job_id": f"{scope.job_prefix}_airflow/BQ.upload"},
        database_=graph.database,
    )

    statuses = {record["run"]: record["status"] for record in records}
    assert statuses == {start["run"]["runId"]: "success", "failed-run": "failed"}
    # The failed run's event is the job's latest, so the job failed.
    assert {record["job_status"] for record in records} == {"failed"}


def test_unknown_facets_are_kept(
    client: FlaskClient, graph: Neo4jGraph, scope: TrackingScope
) -> None:
    event = localize(fixture_events("simple")[0], scope)
    custom = {
        "_producer": "https://example.com/producer",
        "_schemaURL": "https://example.com/schema.json#/Custom",
        "owner": {"team": "risk"},
    }
    event["run"]["facets"]["acme_costCenter"] = custom
    event["outputs"][0]["facets"]["acme_quality"] = custom
    ingest(client, [event])

    records, _, _ = graph.driver.execute_query(
        "MATCH (task:Task {party_id: 'run_id'})-[:OUTPUT]->(table:Table) "
        "WHERE task.job_id STARTS WITH $prefix "
        "RETURN task['facet.acme_costCenter'] AS run, "
        "  table['facet.acme_quality'] AS dataset",
        {"prefix": scope.job_prefix},
        database_=graph.database,
    )

    assert json.loads(records[0]["run"]) == custom
    assert json.loads(records[0]["dataset"]) == custom


def test_job_and_dataset_events_are_recorded(
    client: FlaskClient, graph: Neo4jGraph, scope: TrackingScope
) -> None:
    run_event = fixture_events("simple")[0]
    job_event = {
        key: run_event[key] for key in ("eventTime", "producer", "inputs", "outputs")
    }
    job_event["job"] = run_event["job"]
    job_event["schemaURL"] = (
        "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/JobEvent"
    )
    dataset_event = {
        "eventTime": run_event["eventTime"],
        "producer": run_event["producer"],
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/DatasetEvent",
        "dataset": {"namespace": "warehouse", "name": "orphan", "facets": {}},
    }
    events = [localize(job_event, scope), localize(dataset_event, scope)]
    ingest(client, events)

    hops = lineage_hops(client, f"{scope.namespace}_bigquery", "test.table.output")
    status, table = post(
        client,
        "/v1/table/table_info",
        {"namespace": f"{scope.namespace}_warehouse", "table_name": "orphan"},
    )

    assert hops == {
        (f"{scope.namespace}_bigquery", "test.table.output"): 0,
        (f"{scope.namespace}_bigquery", "test.table.input"): 1,
    }
    assert status == 200, table
    assert table["data"]["origin"] == "openlineage"


def _without(event: Event, *path: str | int) -> Event:
    changed = copy.deepcopy(event)
    parent: Any = _walk(changed, path[:-1])
    del parent[path[-1]]
    return changed


def _with(event: Event, value: Any, *path: str | int) -> Event:
    changed = copy.deepcopy(event)
    parent: Any = _walk(changed, path[:-1])
    parent[path[-1]] = value
    return changed


def _walk(value: Any, path: tuple[str | int, ...]) -> Any:
    for key in path:
        value = value[key]
    return value


SIMPLE = fixture_events("simple")[0]
AIRFLOW_TASK = fixture_events("airflow")[2]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (_without(SIMPLE, "job", "name"), "job.name is missing"),
        (_with(SIMPLE, 42, "run", "runId"), "run.runId must be a string, got 42"),
        (_with(SIMPLE, "DONE", "eventType"), "eventType must be one of START"),
        (_without(SIMPLE, "eventTime"), "eventTime is missing"),
        (_with(SIMPLE, "yesterday", "eventTime"), "eventTime 'yesterday' is not"),
        (_with(SIMPLE, {}, "inputs"), "inputs must be an array, got {}"),
        (
            _without(AIRFLOW_TASK, "run", "facets", "parent", "_producer"),
            "run.facets.parent._producer is missing",
        ),
        (
            _without(AIRFLOW_TASK, "outputs", 0, "facets", "columnLineage", "fields"),
            "outputs.0.facets.columnLineage.fields is missing",
        ),
        ([SIMPLE], "must be a JSON object, got an array"),
        ({"eventTime": "2024-01-01T00:00:00Z"}, "neither a RunEvent"),
    ],
    ids=[
        "missing-job-name",
        "run-id-number",
        "unknown-event-type",
        "missing-event-time",
        "bad-event-time",
        "inputs-object",
        "facet-without-producer",
        "column-lineage-without-fields",
        "array",
        "no-kind",
    ],
)
def test_invalid_event_names_field(
    client: FlaskClient, body: Any, message: str
) -> None:
    status, reply = post(client, "/api/v1/lineage", body)

    assert (status, reply["retcode"]) == (400, 101)
    assert message in reply["retmsg"]


def test_batch_reports_each_failure(client: FlaskClient, scope: TrackingScope) -> None:
    good = localize(SIMPLE, scope)
    bad = _without(good, "job", "name")

    status, reply = post(client, "/api/v1/lineage/batch", [good, bad, good])
    none_status, none_reply = post(client, "/api/v1/lineage/batch", [bad])

    assert (status, reply["retcode"]) == (200, 101)
    assert reply["data"]["received"] == 3
    assert reply["data"]["succeeded"] == 2
    assert reply["data"]["failed"] == 1
    assert reply["data"]["failures"] == [
        {"index": 1, "retmsg": "invalid OpenLineage RunEvent: job.name is missing"}
    ]
    assert (none_status, none_reply["retcode"]) == (400, 101)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"events": []}, "must be a JSON array"),
        ([SIMPLE] * 1001, "more than the 1000"),
    ],
    ids=["object", "too-many"],
)
def test_batch_shape_is_checked_first(
    client: FlaskClient, body: Any, message: str
) -> None:
    status, reply = post(client, "/api/v1/lineage/batch", body)

    assert (status, reply["retcode"]) == (400, 101)
    assert message in reply["retmsg"]


def test_python_client_feeds_service(settings: Settings, scope: TrackingScope) -> None:
    from openlineage.client import OpenLineageClient
    from openlineage.client.event_v2 import (
        InputDataset,
        Job,
        OutputDataset,
        Run,
        RunEvent,
        RunState,
    )
    from openlineage.client.facet_v2 import schema_dataset
    from openlineage.client.transport.http import HttpConfig, HttpTransport
    from openlineage.client.uuid import generate_new_uuid

    base = f"http://{settings.service.host}:{settings.service.http_port}"
    client = OpenLineageClient(transport=HttpTransport(HttpConfig(url=base)))
    namespace = f"{scope.namespace}_warehouse"
    schema = schema_dataset.SchemaDatasetFacet(
        fields=[schema_dataset.SchemaDatasetFacetFields(name="id", type="INT")]
    )
    run = Run(runId=str(generate_new_uuid()))
    job = Job(namespace=f"{scope.job_prefix}_etl", name="daily_scores")
    inputs = [InputDataset(namespace=namespace, name="raw.scores")]
    outputs = [
        OutputDataset(
            namespace=namespace, name="mart.scores", facets={"schema": schema}
        )
    ]
    for state in (RunState.START, RunState.COMPLETE):
        client.emit(
            RunEvent(
                eventType=state,
                eventTime=datetime.now(UTC).isoformat(),
                run=run,
                job=job,
                producer="https://example.com/fate-lineage-test",
                inputs=inputs,
                outputs=outputs,
            )
        )

    reply = requests.post(
        f"{base}/v1/table/tracking/source",
        json={"namespace": namespace, "table_name": "mart.scores"},
        timeout=10,
    ).json()
    jobs = requests.post(
        f"{base}/v1/table/tracking/job",
        json={"namespace": namespace, "table_name": "raw.scores"},
        timeout=10,
    ).json()

    assert reply["data"] == [
        {
            "parent_table_name": "raw.scores",
            "parent_table_namespace": namespace,
            "source_table_name": "raw.scores",
            "source_table_namespace": namespace,
        }
    ]
    assert jobs["data"]["job"] == [f"{scope.job_prefix}_etl/daily_scores"]


def _ingest_count(client: FlaskClient, event_type: str, outcome: str) -> float:
    text = client.get("/metrics").get_data(as_text=True)
    sample = (
        "fate_lineage_openlineage_events_total"
        f'{{event_type="{event_type}",outcome="{outcome}"}} '
    )
    lines = [line for line in text.splitlines() if line.startswith(sample)]
    return float(lines[0].split()[-1]) if lines else 0.0


def test_ingest_counts_in_metrics(client: FlaskClient, scope: TrackingScope) -> None:
    good = localize(SIMPLE, scope)
    recorded = _ingest_count(client, "COMPLETE", "recorded")
    rejected = _ingest_count(client, "COMPLETE", "rejected")

    post(client, "/api/v1/lineage", good)
    post(client, "/api/v1/lineage/batch", [good, _without(good, "job", "name")])

    assert _ingest_count(client, "COMPLETE", "recorded") == recorded + 2
    assert _ingest_count(client, "COMPLETE", "rejected") == rejected + 1


def test_flow_send_json_lines(
    service_flow_env: dict[str, str],
    scope: TrackingScope,
    tmp_path: Path,
) -> None:
    events = [localize(event, scope) for event in fixture_events("airflow")[:3]]
    events.insert(1, _with(events[0], "soon", "eventTime"))
    lines = tmp_path / "events.jsonl"
    lines.write_text("\n".join(json.dumps(event) for event in events) + "\n")

    code, reply = run_flow(service_flow_env, "openlineage", "send", "-f", str(lines))

    assert code == 1
    assert reply["data"]["received"] == 4
    assert reply["data"]["succeeded"] == 3
    assert [failure["index"] for failure in reply["data"]["failures"]] == [1]
    assert "eventTime 'soon'" in reply["data"]["failures"][0]["retmsg"]


def test_gzip_body_is_unpacked(client: FlaskClient, scope: TrackingScope) -> None:
    body = gzip.compress(json.dumps(localize(SIMPLE, scope)).encode())

    response = client.post(
        "/api/v1/lineage",
        data=body,
        headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
    )

    assert response.status_code == 200, response.get_json()


@pytest.mark.parametrize(
    ("body", "encoding", "status", "message"),
    [
        (b"not gzip", "gzip", 400, "not valid gzip data"),
        (b"{}", "br", 400, "Content-Encoding 'br' is not supported"),
        (
            gzip.compress(b" " * (8 * 1024 * 1024 + 1)),
            "gzip",
            413,
            "the events over several batches",
        ),
    ],
    ids=["broken-gzip", "brotli", "unpacks-too-large"],
)
def test_bad_encoding_is_explained(
    client: FlaskClient, body: bytes, encoding: str, status: int, message: str
) -> None:
    response = client.post(
        "/api/v1/lineage/batch",
        data=body,
        headers={"Content-Type": "application/json", "Content-Encoding": encoding},
    )

    assert response.status_code == status
    assert message in response.get_json()["retmsg"]


def test_long_chunked_body_is_413(settings: Settings) -> None:
    base = f"http://{settings.service.host}:{settings.service.http_port}"

    def chunks() -> Iterator[bytes]:
        yield b'["'
        for _ in range(9):
            yield b"x" * (1024 * 1024)
        yield b'"]'

    response = requests.post(
        f"{base}/api/v1/lineage/batch",
        data=chunks(),
        headers={"Content-Type": "application/json"},
        timeout=30,
    )

    assert response.status_code == 413
    assert "over the limit" in response.json()["retmsg"]


def test_flow_send_stops_at_rejected_batch(
    service_flow_env: dict[str, str], scope: TrackingScope, tmp_path: Path
) -> None:
    small = localize(SIMPLE, scope)
    huge = copy.deepcopy(small)
    huge["run"]["facets"]["padding"] = {
        "_producer": "https://example.com/p",
        "_schemaURL": "https://example.com/s",
        "text": "x" * (9 * 1024 * 1024),
    }
    events = tmp_path / "events.json"
    events.write_text(json.dumps([small, small, huge, small]))

    code, reply = run_flow(service_flow_env, "openlineage", "send", "-f", str(events))

    assert code == 1
    assert reply["data"]["succeeded"] == 2
    assert reply["data"]["not_sent_from"] == 2
    assert "over the limit" in reply["retmsg"]
    assert "2 of 4 events were recorded before it" in reply["retmsg"]
