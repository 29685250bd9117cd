"""Generate FATE-like lineage of a given size, reproducible from a seed.

Each FATE job starts with Reader tasks that read an uploaded table or an
earlier job's output. Then it runs one of four shapes of components: a
chain, a diamond (two branches merged by a union), a data split whose train
and validate outputs feed a model, or a union of several Readers followed
by a split. Every task becomes one OpenLineage COMPLETE RunEvent: the job is the
FATE job, the run is the task, and the datasets are the task's tables.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

PRODUCER = "https://example.com/fate-lineage/bench"
SCHEMA_URL = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
# Share of Reader inputs that are a new upload, and of the rest that are an
# earlier job's output rather than an existing upload.
NEW_UPLOAD_SHARE = 0.3
JOB_OUTPUT_SHARE = 0.7
FIRST_JOB_TIME = datetime(2026, 1, 1, tzinfo=UTC)

TableKey = tuple[str, str]


@dataclass(frozen=True)
class Task:
    """One task of a FATE job, with the tables it read and wrote."""

    job_id: str
    component: str
    run_id: str
    event_time: datetime
    inputs: tuple[TableKey, ...]
    outputs: tuple[TableKey, ...]


@dataclass
class FateGraph:
    """The uploads and tasks of one generated graph, in recording order."""

    prefix: str
    job_namespace: str
    uploads: list[TableKey] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)
    job_count: int = 0

    @property
    def upload_namespace(self) -> str:
        return f"{self.prefix}_experiment"

    def tables(self) -> list[TableKey]:
        """Return every table: the uploads, then the task outputs."""
        written = [table for task in self.tasks for table in task.outputs]
        return self.uploads + written

    def edges(self) -> Iterator[tuple[TableKey, TableKey, str]]:
        """Yield each (child, parent, job id) edge that the tasks derive."""
        for task in self.tasks:
            for child in task.outputs:
                for parent in task.inputs:
                    yield child, parent, task.job_id

    def events(self) -> Iterator[dict[str, Any]]:
        """Yield one OpenLineage COMPLETE RunEvent per task."""
        for task in self.tasks:
            yield {
                "eventType": "COMPLETE",
                "eventTime": task.event_time.isoformat(),
                "producer": PRODUCER,
                "schemaURL": SCHEMA_URL,
                "run": {"runId": task.run_id},
                "job": {"namespace": self.job_namespace, "name": task.job_id},
                "inputs": [dataset(table) for table in task.inputs],
                "outputs": [dataset(table) for table in task.outputs],
            }


def dataset(table: TableKey) -> dict[str, str]:
    return {"namespace": table[0], "name": table[1]}


class _Builder:
    """The random source, outputs and table count of a graph being generated."""

    def __init__(self, graph: FateGraph, seed: int) -> None:
        self.graph = graph
        self.random = random.Random(seed)
        self.outputs: list[TableKey] = []
        self.table_count = 0

    def add_job(self) -> None:
        index = self.graph.job_count
        self.graph.job_count += 1
        moment = FIRST_JOB_TIME + timedelta(seconds=index)
        # FATE's job id format: %Y%m%d%H%M%S%f and a counter digit.
        job_id = moment.strftime("%Y%m%d%H%M%S%f") + str(index % 10)
        job = _Job(self, job_id, moment)
        shape = self.random.choice(
            (job.add_chain, job.add_diamond, job.add_split, job.add_union)
        )
        shape()

    def reader_input(self) -> TableKey:
        if not self.graph.uploads or self.random.random() < NEW_UPLOAD_SHARE:
            return self.upload()
        if self.outputs and self.random.random() < JOB_OUTPUT_SHARE:
            return self.random.choice(self.outputs)
        return self.random.choice(self.graph.uploads)

    def upload(self) -> TableKey:
        table = (self.graph.upload_namespace, f"upload_{len(self.graph.uploads)}")
        self.graph.uploads.append(table)
        self.table_count += 1
        return table

    def table_name(self) -> str:
        return f"{self.random.getrandbits(128):032x}"

    def run_id(self) -> str:
        return str(uuid.UUID(int=self.random.getrandbits(128), version=4))


class _Job:
    """The tasks of one job, 1 ms of event time apart. Jobs start 1 s apart."""

    def __init__(self, builder: _Builder, job_id: str, started: datetime) -> None:
        self.builder = builder
        self.job_id = job_id
        self.started = started
        self.task_count = 0

    def task(
        self, component: str, inputs: list[TableKey], output_count: int = 1
    ) -> list[TableKey]:
        builder = self.builder
        namespace = f"{builder.graph.prefix}_output_data_{self.job_id}_{component}_0"
        outputs = [(namespace, builder.table_name()) for _ in range(output_count)]
        self.task_count += 1
        builder.graph.tasks.append(
            Task(
                job_id=self.job_id,
                component=component,
                run_id=builder.run_id(),
                event_time=self.started + timedelta(milliseconds=self.task_count),
                inputs=tuple(inputs),
                outputs=tuple(outputs),
            )
        )
        builder.outputs.extend(outputs)
        builder.table_count += output_count
        return outputs

    def read(self, index: int = 0) -> TableKey:
        read = self.task(f"reader_{index}", [self.builder.reader_input()])
        return self.task(f"data_transform_{index}", read)[0]

    def add_chain(self) -> None:
        table = self.read()
        for step in range(self.builder.random.randint(1, 4)):
            table = self.task(f"feature_scale_{step}", [table])[0]

    def add_diamond(self) -> None:
        table = self.read()
        left = self.task("feature_selection_0", [table])
        right = self.task("feature_binning_0", [table])
        self.task("union_0", left + right)

    def add_split(self) -> None:
        table = self.read()
        train, validate, test = self.task("data_split_0", [table], 3)
        model = self.task("hetero_lr_0", [train, validate])
        self.task("hetero_lr_1", [*model, test])

    def add_union(self) -> None:
        readers = [
            self.read(index) for index in range(self.builder.random.randint(3, 8))
        ]
        merged = self.task("union_0", readers)
        self.task("data_split_0", merged, 3)


def generate(tables: int, seed: int, prefix: str) -> FateGraph:
    """Return a graph of at least ``tables`` tables, the same for the same seed."""
    graph = FateGraph(prefix=prefix, job_namespace=f"{prefix}_fate")
    builder = _Builder(graph, seed)
    while builder.table_count < tables:
        builder.add_job()
    return graph
