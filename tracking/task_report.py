"""Turn a task's report into the inputs, outputs and edges to record.

Inputs default to the tables that the job's DSL gives the task: the Reader's table,
or the outputs its upstream tasks reported for the same party. Outputs
default to one table per DSL output, named by ``dsl.default_output_table``.
Each output's parents default to every input. What cannot be resolved is
left out with a reason, so a report never fails for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fate_lineage.errors import Conflict, InvalidInput
from fate_lineage.graph.lineage import TaskRecord
from fate_lineage.tracking import dsl
from fate_lineage.tracking.dsl import READER_MODULE, JobOutputRef, TableRef

if TYPE_CHECKING:
    from fate_lineage.graph.lineage import LineageRepository, Properties
    from fate_lineage.tracking.dsl import ComponentSpec, JobPlan


# The slot of an input that the report named only as an output's parent.
PARENT_SLOT = "parent"
# A task in one of these statuses does not become running again in the same
# task version; a rerun reports the next version.
ENDED_TASK_STATUSES = frozenset({"success", "failed"})
# The slot of a Reader's input: the `table` key of its conf.
READER_SLOT = "table"
# A report's edges are written in one transaction. One report of 60,000 edges
# took 23.5 s on a 2-core machine, so this keeps a report to a few seconds.
MAX_REPORT_EDGES = 20_000


@dataclass(frozen=True)
class OutputSpec:
    """One output table a task reports; a missing name gets the default."""

    data_name: str
    table: TableRef | None = None
    parents: tuple[TableRef, ...] | None = None
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TaskReport:
    """A component's report of what one of its tasks read and wrote."""

    job_id: str
    component: str
    role: str
    party_id: str
    task_version: int = 0
    status: str = "success"
    inputs: tuple[tuple[str, TableRef], ...] | None = None
    outputs: tuple[OutputSpec, ...] | None = None


def plan_task_record(
    repository: LineageRepository, plan: JobPlan, report: TaskReport
) -> tuple[TaskRecord, list[str]]:
    """Return the record to write and the reasons for what was left out."""
    component = plan.component(report.component)
    skipped: list[str] = []
    if report.inputs is not None:
        inputs = [_entry(slot, table) for slot, table in report.inputs]
    else:
        inputs = _default_inputs(repository, plan, report, component, skipped)
    outputs, parents_by_output = _outputs(report, component, inputs)
    edges = _edges(outputs, parents_by_output, inputs, skipped)
    if len(edges) > MAX_REPORT_EDGES:
        raise InvalidInput(
            f"the report of {report.component} for {report.role} "
            f"{report.party_id} would record {len(edges)} edges, over the limit "
            f"of {MAX_REPORT_EDGES}; send the outputs in several reports",
            details={"edge_count": len(edges), "limit": MAX_REPORT_EDGES},
        )
    record = TaskRecord(
        job_id=report.job_id,
        component=report.component,
        role=report.role,
        party_id=report.party_id,
        status=report.status,
        task_version=report.task_version,
        inputs=inputs,
        outputs=outputs,
        edges=edges,
    )
    return record, skipped


def check_outputs(
    record: TaskRecord, task: Properties, written: dict[str, tuple[str, str]]
) -> None:
    """Reject a report that rewrites a task version's outputs, or an old version.

    ``written`` maps each slot to the table the task already wrote in the
    record's version. A rerun reports a higher ``task_version`` instead.
    """
    current = task.get("task_version") or 0
    who = (
        f"{record.component} of {record.role} {record.party_id} in job {record.job_id}"
    )
    ended = task.get("status") in ENDED_TASK_STATUSES
    if ended and record.status == "running" and record.task_version == current:
        raise Conflict(
            f"{who} is {task['status']} in task_version {current}; report a "
            f"rerun as running with task_version {current + 1}",
            details={"task_version": current, "status": task["status"]},
        )
    if record.task_version < current:
        raise Conflict(
            f"{who} is at task_version {current}; a report for version "
            f"{record.task_version} is out of date",
            details={"task_version": current},
        )
    for output in record.outputs:
        earlier = written.get(output["slot"])
        if earlier is not None and earlier != (output["namespace"], output["name"]):
            raise Conflict(
                f"{who} already wrote {earlier[0]}/{earlier[1]} as output "
                f"{output['slot']} in task_version {record.task_version}; report "
                f"a rerun with task_version {record.task_version + 1}",
                details={"task_version": record.task_version},
            )


def _default_inputs(
    repository: LineageRepository,
    plan: JobPlan,
    report: TaskReport,
    component: ComponentSpec,
    skipped: list[str],
) -> list[Properties]:
    if component.module == READER_MODULE:
        return _reader_inputs(repository, plan, report, skipped)
    refs = [
        {
            "job_id": report.job_id,
            "component": item.component,
            "data_name": item.data_name,
        }
        for item in component.data_inputs
    ]
    found = {
        (row["component"], row["data_name"]): row
        for row in repository.find_task_outputs(refs, report.role, report.party_id)
    }
    inputs = []
    for item in component.data_inputs:
        row = found.get((item.component, item.data_name))
        if row is not None:
            inputs.append(
                {"slot": item.slot, "namespace": row["namespace"], "name": row["name"]}
            )
            continue
        reason = _unresolved_input(repository, report, item.component)
        if reason is not None:
            skipped.append(
                f"input {item.slot} from {item.component}.{item.data_name}: {reason}"
            )
    return inputs


def _reader_inputs(
    repository: LineageRepository,
    plan: JobPlan,
    report: TaskReport,
    skipped: list[str],
) -> list[Properties]:
    """Return the Reader's table, resolving another job's output if needed.

    Submission records a Reader's table when it can. A table named as
    another job's output that was not reported then is looked up again here.
    """
    recorded = repository.find_task_inputs(
        report.job_id, report.component, report.role, report.party_id
    )
    if recorded:
        return recorded
    for item in plan.reader_inputs:
        if (item.component, item.role, item.party_id) != (
            report.component,
            report.role,
            report.party_id,
        ) or not isinstance(item.table, JobOutputRef):
            continue
        ref = {
            "job_id": item.table.job_id,
            "component": item.table.component,
            "data_name": item.table.data_name,
        }
        found = repository.find_task_outputs([ref], report.role, report.party_id)
        if found:
            return [
                _entry(READER_SLOT, TableRef(found[0]["namespace"], found[0]["name"]))
            ]
        skipped.append(
            f"input {READER_SLOT}: output {item.table.data_name} of "
            f"{item.table.component} in job {item.table.job_id} is not reported "
            f"for {report.role} {report.party_id}"
        )
    return []


def _unresolved_input(
    repository: LineageRepository, report: TaskReport, upstream: str
) -> str | None:
    """Say why an upstream output is missing, or None when it is expected.

    An upstream task that finished without writing that output (an arbiter
    has no data, for example) is not a failure.
    """
    task = repository.find_task(report.job_id, upstream, report.role, report.party_id)
    if task is None:
        return f"{upstream} has no task for {report.role} {report.party_id}"
    if task.get("status") == "waiting":
        return f"{upstream} has not reported its outputs yet"
    return None


def _outputs(
    report: TaskReport, component: ComponentSpec, inputs: list[Properties]
) -> tuple[list[Properties], list[tuple[TableRef, ...] | None]]:
    if report.outputs is not None:
        specs = report.outputs
    elif inputs:
        specs = tuple(OutputSpec(name) for name in component.data_outputs)
    else:
        # A task that read no table, such as an arbiter's, writes none.
        specs = ()
    outputs = []
    parents = []
    for spec in specs:
        table = spec.table or dsl.default_output_table(
            report.job_id,
            report.component,
            report.role,
            report.party_id,
            spec.data_name,
            report.task_version,
        )
        outputs.append({**_entry(spec.data_name, table), "properties": spec.properties})
        parents.append(spec.parents)
    return outputs, parents


def _edges(
    outputs: list[Properties],
    parents_by_output: list[tuple[TableRef, ...] | None],
    inputs: list[Properties],
    skipped: list[str],
) -> list[Properties]:
    """Pair every output with each of its parents, adding named parents as inputs."""
    input_keys = [_key(item) for item in inputs]
    edges: list[Properties] = []
    for output, named in zip(outputs, parents_by_output, strict=True):
        if named is None:
            parents = list(dict.fromkeys(input_keys))
        else:
            parents = list(dict.fromkeys((t.namespace, t.name) for t in named))
        for parent in parents:
            if parent == _key(output):
                skipped.append(
                    f"parent {parent[0]}/{parent[1]} of output {output['slot']}: "
                    "a table cannot be its own parent"
                )
                continue
            if parent not in input_keys:
                inputs.append(
                    {"slot": PARENT_SLOT, "namespace": parent[0], "name": parent[1]}
                )
                input_keys.append(parent)
            edges.append(
                {
                    "child": {"namespace": output["namespace"], "name": output["name"]},
                    "parent": {"namespace": parent[0], "name": parent[1]},
                }
            )
    return edges


def _entry(slot: str, table: TableRef) -> Properties:
    return {"slot": slot, "namespace": table.namespace, "name": table.name}


def _key(item: Properties) -> tuple[str, str]:
    return (item["namespace"], item["name"])
