"""The lineage repository: every read and write of tables, jobs and tasks.

Each method runs named statements from ``cypher/`` with values as
parameters. Writes that must land together share one transaction.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fate_lineage.tracking.sources import Hop

if TYPE_CHECKING:
    from fate_lineage.graph.driver import Neo4jGraph, Statements
    from fate_lineage.tracking.dsl import TableRef

Properties = dict[str, Any]

# A LIMIT that keeps every row.
ALL_ROWS = 2**62

# Resource events kept on a job node, newest last.
RESOURCE_HISTORY_SIZE = 20

# The order in which a table's properties are returned. Neo4j maps have no
# order, and a fixed one makes responses easier to read and compare.
TABLE_FIELDS = (
    "namespace",
    "name",
    "origin",
    "file",
    "head",
    "partition",
    "id_delimiter",
    "columns",
    "row_count",
    "engine",
    "address",
    "recorded_at",
)


def ordered_table(properties: Properties) -> Properties:
    """Return the table's properties in TABLE_FIELDS order, unknown ones last."""
    known = {key: properties[key] for key in TABLE_FIELDS if key in properties}
    return {**known, **properties}


@dataclass(frozen=True)
class TaskRecord:
    """What one task read and wrote, ready to be merged into the graph.

    ``inputs`` and ``outputs`` are maps with ``slot``, ``namespace`` and
    ``name``, and outputs also carry ``properties``. ``edges`` pair a child
    and a parent, each a map with ``namespace`` and ``name``.
    """

    job_id: str
    component: str
    role: str
    party_id: str
    status: str
    task_version: int
    inputs: list[Properties]
    outputs: list[Properties]
    edges: list[Properties]


class LineageRepository:
    def __init__(self, graph: Neo4jGraph) -> None:
        self.graph = graph

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[Snapshot]:
        """Yield a view for several reads in one transaction, such as a walk."""
        with self.graph.reading() as statements:
            yield Snapshot(statements)

    def find_table(self, table: TableRef) -> tuple[str, Properties] | None:
        """Return the table's element id and properties, or None."""
        with self.snapshot() as view:
            return view.find_table(table)

    def register_source_table(
        self, table: TableRef, origin: str, properties: Properties, now: int
    ) -> tuple[Properties, bool]:
        """Merge an uploaded or bound table; return it and whether a task wrote it."""
        record = self.graph.write(
            "merge_source_table",
            namespace=table.namespace,
            name=table.name,
            origin=origin,
            properties=properties,
            now=now,
        )[0]
        return ordered_table(record["table"]), record["written"]

    def existing_tables(self, tables: Iterable[TableRef]) -> set[tuple[str, str]]:
        """Return the (namespace, name) keys among ``tables`` that are recorded."""
        keys = [{"namespace": t.namespace, "name": t.name} for t in tables]
        records = self.graph.read("find_existing_tables", tables=keys)
        return {(record["namespace"], record["name"]) for record in records}

    def find_job(self, job_id: str) -> Properties | None:
        records = self.graph.read("find_job", job_id=job_id)
        return records[0]["job"] if records else None

    def create_job(
        self,
        job_id: str,
        properties: Properties,
        tasks: list[Properties],
        reader_inputs: list[Properties],
        now: int,
    ) -> tuple[Properties, bool]:
        """Create a job with its tasks and Reader inputs in one transaction.

        An existing job is returned as stored, with nothing written, and
        False as the second value.
        """

        def work(tx: Statements) -> tuple[Properties, bool]:
            record = tx.run("merge_job", job_id=job_id, properties=properties, now=now)[
                0
            ]
            if not record["created"]:
                return record["job"], False
            tx.run("merge_job_tasks", job_id=job_id, tasks=tasks, now=now)
            tx.run("merge_task_inputs", job_id=job_id, inputs=reader_inputs, now=now)
            return record["job"], True

        return self.graph.transaction(work)

    def change_job_status(
        self,
        job_id: str,
        decide: Callable[[Properties], tuple[str, bool] | None],
        now: int,
    ) -> Properties | None:
        """Apply ``decide(job)`` to the stored job in one transaction.

        ``decide`` returns the new status and whether it ends the job, None
        to leave the job as it is, or raises to reject the change. Return the
        job afterwards, or None when there is no such job.
        """

        def work(tx: Statements) -> Properties | None:
            records = tx.run("lock_job", job_id=job_id)
            if not records:
                return None
            job: Properties = records[0]["job"]
            change = decide(job)
            if change is None:
                return job
            status, ended = change
            updated = tx.run(
                "update_job_status",
                job_id=job_id,
                status=status,
                ended=ended,
                now=now,
            )
            result: Properties = updated[0]["job"]
            return result

        return self.graph.transaction(work)

    def record_task(
        self,
        record: TaskRecord,
        now: int,
        check: Callable[[Properties, dict[str, tuple[str, str]]], None],
    ) -> None:
        """Merge a task's inputs, outputs and derived edges in one transaction.

        ``check(task, written)`` runs first, under the task's write lock. It
        gets the tables the task already wrote in the record's version, by
        slot, and raises to reject the record.
        """
        task_key = {
            "job_id": record.job_id,
            "component": record.component,
            "role": record.role,
            "party_id": record.party_id,
        }
        inputs = [{**task_key, **item} for item in record.inputs]

        def work(tx: Statements) -> None:
            task = tx.run("lock_task", **task_key)[0]["task"]
            rows = tx.run(
                "find_task_version_outputs",
                **task_key,
                task_version=record.task_version,
            )
            check(task, {row["slot"]: (row["namespace"], row["name"]) for row in rows})
            tx.run("merge_task_inputs", job_id=record.job_id, inputs=inputs, now=now)
            tx.run(
                "merge_task_outputs",
                **task_key,
                status=record.status,
                task_version=record.task_version,
                outputs=record.outputs,
                now=now,
            )
            tx.run("merge_derived_edges", **task_key, edges=record.edges, now=now)

        self.graph.transaction(work)

    def record_resource_event(
        self, job_id: str, event: str, cores: int, memory: int, now: int
    ) -> None:
        """Note a resource event on the job node, appended to its history."""
        self.graph.write(
            "record_resource_event",
            job_id=job_id,
            event=event,
            cores=cores,
            memory=memory,
            now=now,
            description=f"{now} {event} {cores} cores {memory} MB",
            history_size=RESOURCE_HISTORY_SIZE,
        )

    def job_tasks(self, job_id: str) -> list[Properties]:
        """Return each task of a job with its status and version."""
        records = self.graph.read("find_job_tasks", job_id=job_id)
        return [record["task"] for record in records]

    def find_task(
        self, job_id: str, component: str, role: str, party_id: str
    ) -> Properties | None:
        records = self.graph.read(
            "find_task",
            job_id=job_id,
            component=component,
            role=role,
            party_id=party_id,
        )
        return records[0]["task"] if records else None

    def find_task_inputs(
        self, job_id: str, component: str, role: str, party_id: str
    ) -> list[Properties]:
        """Return the tables a task read, as maps of slot, namespace and name."""
        records = self.graph.read(
            "find_task_inputs",
            job_id=job_id,
            component=component,
            role=role,
            party_id=party_id,
        )
        return [dict(record) for record in records]

    def find_task_outputs(
        self, refs: list[Properties], role: str, party_id: str
    ) -> list[Properties]:
        """Return output tables of one party's tasks.

        Each ref names ``job_id``, ``component`` and ``data_name`` (None for
        every output); each result adds ``namespace`` and ``name``.
        """
        records = self.graph.read(
            "find_task_outputs", refs=refs, role=role, party_id=party_id
        )
        return [dict(record) for record in records]

    def reading_jobs(
        self,
        table: TableRef,
        start_time: int,
        end_time: int,
        skip: int = 0,
        limit: int = ALL_ROWS,
    ) -> list[Properties]:
        """Return the jobs that read a table, newest first, one page of them."""
        records = self.graph.read(
            "find_reading_jobs",
            namespace=table.namespace,
            name=table.name,
            start_time=start_time,
            end_time=end_time,
            skip=skip,
            limit=limit,
        )
        return [record["job"] for record in records]

    def count_reading_jobs(
        self, table: TableRef, start_time: int, end_time: int
    ) -> int:
        records = self.graph.read(
            "count_reading_jobs",
            namespace=table.namespace,
            name=table.name,
            start_time=start_time,
            end_time=end_time,
        )
        count: int = records[0]["count"]
        return count

    def tables_by_namespace_prefix(
        self, prefix: str, skip: int, limit: int
    ) -> tuple[int, list[Properties]]:
        """Return how many tables match and one page of them."""
        count = self.graph.read("count_tables_by_namespace_prefix", prefix=prefix)
        page = self.graph.read(
            "find_tables_by_namespace_prefix", prefix=prefix, skip=skip, limit=limit
        )
        return count[0]["count"], [ordered_table(record["table"]) for record in page]


class Snapshot:
    """Reads of tables and edges that share one transaction."""

    def __init__(self, statements: Statements) -> None:
        self._statements = statements

    def find_table(self, table: TableRef) -> tuple[str, Properties] | None:
        """Return the table's element id and properties, or None."""
        records = self._statements.run(
            "find_table", namespace=table.namespace, name=table.name
        )
        if not records:
            return None
        return records[0]["id"], ordered_table(records[0]["table"])

    def parent_hops(self, ids: list[str], as_of: int) -> list[Hop]:
        return self._hops("find_parent_edges", ids, as_of)

    def child_hops(self, ids: list[str], as_of: int) -> list[Hop]:
        return self._hops("find_child_edges", ids, as_of)

    def _hops(self, statement: str, ids: list[str], as_of: int) -> list[Hop]:
        records = self._statements.run(statement, ids=ids, as_of=as_of)
        return [
            Hop(record["from_id"], record["to_id"], record["table"], record["via"])
            for record in records
        ]
