"""Map one validated OpenLineage event onto the lineage graph's model.

A dataset is a Table keyed by its namespace and name. A job is a Job whose
id is ``<namespace>/<name>``. A run is a Task of that job with role
``openlineage``, the job's name as component and the run id as party id, so
inputs and outputs get the INPUT_OF, OUTPUT and DERIVED_FROM edges that FATE
tasks get. A JobEvent's datasets hang off a task with the run id
``job-definition``. Columns from schema and column-lineage facets become
Column nodes, joined by DERIVED_FROM edges for column lineage.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from fate_lineage.errors import InvalidInput
from fate_lineage.ingest.changes import (
    Changes,
    ColumnKey,
    Edge,
    Facets,
    Node,
    RunKey,
    Seen,
    Status,
    TableKey,
    Versioned,
)
from fate_lineage.ingest.validation import DATASET_EVENT, JOB_EVENT
from fate_lineage.tracking.timefmt import MAX_TIME

ROLE = "openlineage"
JOB_DEFINITION_RUN = "job-definition"
# One event may merge at most this many edges, as one FATE task report may.
MAX_EDGES_PER_EVENT = 20_000

# The status each event type gives a run, and its rank: an end outranks a
# start whatever the arrival order. OTHER carries no status.
_STATUS_OF_TYPE = {
    "START": ("running", 1),
    "RUNNING": ("running", 1),
    "COMPLETE": ("success", 2),
    "ABORT": ("canceled", 2),
    "FAIL": ("failed", 2),
}
_FRACTION = re.compile(r"\.(\d+)")
_DATE_AND_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


def job_id_of(namespace: str, name: str) -> str:
    return f"{namespace}/{name}"


def parse_event_time(text: str) -> int:
    """Return an ISO 8601 event time in microseconds since the epoch.

    Fractions longer than microseconds are cut; a time without an offset is
    taken as UTC. Times before 1970 or after 9999 are rejected, because the
    lineage queries' as_of cannot reach them.
    """
    normalised = _FRACTION.sub(lambda m: "." + (m.group(1) + "00000")[:6], text, 1)
    try:
        if not _DATE_AND_TIME.match(normalised):
            raise ValueError("no time of day")
        moment = datetime.fromisoformat(normalised)
    except ValueError:
        raise InvalidInput(
            f"eventTime {text!r} is not an ISO 8601 date and time; send it "
            "like 2024-05-01T10:00:00.000Z",
            details={"eventTime": text},
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    if not 0 <= micros // 1000 <= MAX_TIME:
        raise InvalidInput(
            f"eventTime {text!r} is outside 1970-01-01T00:00:00Z to "
            "9999-12-31T23:59:59.999Z, the range lineage queries cover",
            details={"eventTime": text},
        )
    return micros


def map_event(event: dict[str, Any], kind: str) -> Changes:
    """Return the changes one event makes; ``kind`` comes from validation."""
    mapper = _EventMapper(parse_event_time(event["eventTime"]))
    if kind == DATASET_EVENT:
        mapper.dataset(event["dataset"])
        return mapper.changes

    job = event["job"]
    if kind == JOB_EVENT:
        run_id, event_type = JOB_DEFINITION_RUN, "OTHER"
        run_facets: dict[str, Any] = {}
    else:
        run_id = event["run"]["runId"]
        event_type = event.get("eventType", "OTHER")
        run_facets = event["run"].get("facets", {})

    run = mapper.run(job, run_id, event_type, run_facets)
    parent = run_facets.get("parent")
    if parent is not None:
        mapper.parent(run, parent)
    for dataset in event.get("inputs", []):
        mapper.read(run, dataset)
    for dataset in event.get("outputs", []):
        mapper.write(run, dataset)
    mapper.derive(run)

    edges = mapper.changes.edge_count()
    if edges > MAX_EDGES_PER_EVENT:
        raise InvalidInput(
            f"the event for run {run_id} of job {run[0]} makes {edges} edges, "
            f"more than the {MAX_EDGES_PER_EVENT} one event may make; split its "
            "inputs or outputs over several events",
            details={"run_id": run_id, "edges": edges},
        )
    return mapper.changes


class _EventMapper:
    """Collect one event's changes; every item is stamped with its time."""

    def __init__(self, time_us: int) -> None:
        self.time_us = time_us
        self.ms = time_us // 1000
        self.changes = Changes()
        self._inputs: list[TableKey] = []
        self._outputs: list[TableKey] = []

    def run(
        self,
        job: dict[str, Any],
        run_id: str,
        event_type: str,
        run_facets: dict[str, Any],
    ) -> RunKey:
        job_id = job_id_of(job["namespace"], job["name"])
        self.changes.jobs[job_id] = Node(
            Seen(self.ms, self.ms),
            self._status(event_type, time_first=True),
            self._facets(job.get("facets", {})),
            {"job_namespace": job["namespace"], "job_name": job["name"]},
        )
        key = (job_id, job["name"], run_id)
        self.changes.runs[key] = Node(
            Seen(self.ms, self.ms),
            self._status(event_type, time_first=False),
            self._facets(run_facets),
        )
        return key

    def parent(self, run: RunKey, facet: dict[str, Any]) -> None:
        job = facet["job"]
        job_id = job_id_of(job["namespace"], job["name"])
        parent_run = (job_id, job["name"], facet["run"]["runId"])
        if parent_run == run:
            return
        self.changes.jobs.setdefault(
            job_id,
            Node(
                Seen(self.ms, self.ms),
                properties={"job_namespace": job["namespace"], "job_name": job["name"]},
            ),
        )
        self.changes.runs.setdefault(parent_run, Node(Seen(self.ms, self.ms)))
        self.changes.parents[(run, parent_run)] = Edge(self.ms)

    def dataset(self, dataset: dict[str, Any]) -> TableKey:
        key = (dataset["namespace"], dataset["name"])
        facets = dataset.get("facets", {})
        node = Node(Seen(self.ms, self.ms), facets=self._facets(facets))
        if key in self.changes.tables:
            self.changes.tables[key].absorb(node)
        else:
            self.changes.tables[key] = node
        for column in _schema_columns(facets.get("schema")):
            self.changes.columns[(*key, column)] = Edge(self.ms)
        return key

    def read(self, run: RunKey, dataset: dict[str, Any]) -> None:
        table = self.dataset(dataset)
        self._inputs.append(table)
        facets = self._facets(dataset.get("inputFacets", {}))
        self.changes.reads[(run, table)] = Edge(self.ms, facets)

    def write(self, run: RunKey, dataset: dict[str, Any]) -> None:
        table = self.dataset(dataset)
        self._outputs.append(table)
        facets = self._facets(dataset.get("outputFacets", {}))
        self.changes.writes[(run, table)] = Edge(self.ms, facets)
        lineage = dataset.get("facets", {}).get("columnLineage")
        if lineage is not None:
            self._column_lineage(run, table, lineage)

    def derive(self, run: RunKey) -> None:
        """Link every output to every input, as a FATE task's tables are."""
        for child in self._outputs:
            for parent in self._inputs:
                if child != parent:
                    self.changes.derived[(run, child, parent)] = Edge(self.ms)

    def _column_lineage(
        self, run: RunKey, table: TableKey, facet: dict[str, Any]
    ) -> None:
        for column, spec in facet["fields"].items():
            output: ColumnKey = (*table, column)
            self._column(output)
            for source in spec["inputFields"]:
                source_table = (source["namespace"], source["name"])
                self.changes.tables.setdefault(
                    source_table, Node(Seen(self.ms, self.ms))
                )
                input_column: ColumnKey = (*source_table, source["field"])
                self._column(input_column)
                transformations = Versioned(
                    self.time_us, _canonical(source.get("transformations", []))
                )
                self.changes.column_edges[(run, output, input_column)] = Edge(
                    self.ms, {"transformations": transformations}
                )

    def _column(self, column: ColumnKey) -> None:
        self.changes.columns.setdefault(column, Edge(self.ms))

    def _status(self, event_type: str, time_first: bool) -> Status:
        """Return the status an event gives, with the key that orders it.

        A run's latest status is its highest-ranked one, so a START that
        arrives after COMPLETE changes nothing. A job's is that of its latest
        event, so a new run of a finished job makes it running again.
        """
        if event_type not in _STATUS_OF_TYPE:
            return Status()
        status, rank = _STATUS_OF_TYPE[event_type]
        time = f"{self.time_us:020d}"
        key = f"{time}|{rank}" if time_first else f"{rank}|{time}"
        return Status(
            f"{key}|{status}",
            status,
            start_ms=self.ms,
            end_ms=self.ms if rank == 2 else None,
        )

    def _facets(self, facets: dict[str, Any]) -> Facets:
        return {
            name: Versioned(self.time_us, _canonical(value))
            for name, value in facets.items()
        }


def _schema_columns(facet: Any, prefix: str = "") -> list[str]:
    """Return the schema's column names, nested fields as ``parent.child``."""
    if not isinstance(facet, dict):
        return []
    columns = []
    for column in facet.get("fields", []):
        name = prefix + column["name"]
        columns.append(name)
        columns.extend(_schema_columns(column, prefix=name + "."))
    return columns


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
