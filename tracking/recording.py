"""Record source tables, jobs, job status and task outputs.

Every write is idempotent: table and edge keys are merged, the default
output table of a task has a name derived from the task, and a job submitted
again with the same DSL and conf is returned unchanged.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from fate_lineage.errors import Conflict, InvalidInput, NotFound
from fate_lineage.tracking import dsl
from fate_lineage.tracking.dsl import JobOutputRef, JobPlan, TableRef
from fate_lineage.tracking.task_report import (
    READER_SLOT,
    TaskReport,
    check_outputs,
    plan_task_record,
)
from fate_lineage.tracking.timefmt import now_ms

if TYPE_CHECKING:
    from fate_lineage.graph.lineage import LineageRepository, Properties

log = logging.getLogger(__name__)

STATUSES = ("waiting", "running", "success", "failed", "canceled")
END_STATUSES = frozenset({"success", "failed", "canceled"})
_NEXT_STATUSES = {
    "waiting": frozenset({"running", "failed", "canceled"}),
    "running": END_STATUSES,
}
# A generated job id collides only when two submissions share a microsecond
# and a counter digit; a few fresh ids settle it.
_JOB_ID_ATTEMPTS = 5


class JobHooks(Protocol):
    """Callbacks of other services at points of a job's life."""

    def before_submit(
        self, job_id: str | None, roles: Any, runtime_conf: Any
    ) -> object:
        """Check a job before it is recorded; raise to reject it.

        The value returned is handed to ``after_submit``.
        """

    def after_submit(self, job: Properties, prepared: object) -> None:
        """Act on a job just recorded."""

    def after_end(self, job: Properties) -> None:
        """Act on a job that just reached an end status."""


@dataclass(frozen=True)
class Submission:
    """A submitted job as stored, its plan, and what to tell the caller."""

    job: Properties
    plan: JobPlan
    created: bool
    warnings: list[str]


def next_status(job: Properties, requested: str) -> tuple[str, bool] | None:
    """Return the job's new status and whether it ends the job.

    None means the job already has that status. A move out of an end
    status, or backwards, raises Conflict.
    """
    current = job["status"]
    if requested == current:
        return None
    if requested not in _NEXT_STATUSES.get(current, frozenset()):
        allowed = sorted(_NEXT_STATUSES.get(current, frozenset()))
        raise Conflict(
            f"job {job['job_id']} is {current} and cannot become {requested}; "
            f"allowed next statuses: {', '.join(allowed) or 'none, it has ended'}",
            details={"job_id": job["job_id"], "status": current},
        )
    return requested, requested in END_STATUSES


class Recorder:
    """Write FATE's records into the lineage graph.

    ``hooks`` lets resource accounting and dependency distribution take part
    in a job's life; see :class:`JobHooks`.
    """

    def __init__(
        self, repository: LineageRepository, hooks: JobHooks | None = None
    ) -> None:
        self.repository = repository
        self.hooks = hooks

    def register_table(
        self, table: TableRef, origin: str, properties: dict[str, Any]
    ) -> Properties:
        """Register an uploaded or bound table, which has no parent."""
        stored, written = self.repository.register_source_table(
            table, origin, _without_none(properties), now_ms()
        )
        if written:
            raise Conflict(
                f"table {table.namespace}/{table.name} was written by a job task, "
                f"so it cannot be registered by {origin} as a source table; "
                "choose another name or namespace",
                details={"table_name": table.name, "namespace": table.namespace},
            )
        log.info("table %s/%s registered by %s", table.namespace, table.name, origin)
        return stored

    def submit_job(
        self, dsl_body: Any, conf_body: Any, job_id: str | None
    ) -> Submission:
        """Record a job, its tasks and its Reader inputs.

        The same job id, DSL and conf submitted again return the stored job
        unchanged, with ``created`` False.
        """
        plan = dsl.parse_job(dsl_body, conf_body)
        prepared = None
        if self.hooks is not None:
            prepared = self.hooks.before_submit(job_id, plan.roles, conf_body)
        reader_inputs, warnings = self._resolve_reader_inputs(plan)
        properties = {
            "initiator_role": plan.initiator_role,
            "initiator_party_id": plan.initiator_party_id,
            "dsl_version": plan.dsl_version,
            "roles": _canonical(plan.roles),
            "dsl": _canonical(dsl_body),
            "runtime_conf": _canonical(conf_body),
        }
        tasks = [
            {
                "component": task.component,
                "role": task.role,
                "party_id": task.party_id,
                "module": plan.component(task.component).module,
            }
            for task in plan.tasks
        ]
        if job_id is not None:
            job, created = self._create_given_id(
                dsl.validate_job_id(job_id), properties, tasks, reader_inputs
            )
            return self._submitted(Submission(job, plan, created, warnings), prepared)
        for _ in range(_JOB_ID_ATTEMPTS):
            candidate = dsl.generate_job_id()
            job, created = self.repository.create_job(
                candidate, properties, tasks, reader_inputs, now_ms()
            )
            if created:
                log.info("job %s submitted with %d tasks", candidate, len(tasks))
                submission = Submission(job, plan, True, warnings)
                return self._submitted(submission, prepared)
        raise Conflict(
            f"no unused job id after {_JOB_ID_ATTEMPTS} attempts; submit again"
        )

    def _submitted(self, submission: Submission, prepared: object) -> Submission:
        if submission.created and self.hooks is not None:
            self.hooks.after_submit(submission.job, prepared)
        return submission

    def _create_given_id(
        self,
        job_id: str,
        properties: Properties,
        tasks: list[Properties],
        reader_inputs: list[Properties],
    ) -> tuple[Properties, bool]:
        job, created = self.repository.create_job(
            job_id, properties, tasks, reader_inputs, now_ms()
        )
        if created:
            log.info("job %s submitted with %d tasks", job_id, len(tasks))
            return job, True
        if (job["dsl"], job["runtime_conf"]) == (
            properties["dsl"],
            properties["runtime_conf"],
        ):
            return job, False
        raise Conflict(
            f"job {job_id} already exists with another DSL or conf; submit "
            "without job_id to get a new id, or give an unused one",
            details={"job_id": job_id},
        )

    def _resolve_reader_inputs(
        self, plan: JobPlan
    ) -> tuple[list[Properties], list[str]]:
        """Return each Reader's input table and warnings about the unknown ones.

        A table that no one registered is recorded with origin
        ``unregistered``, because a job may read tables that existed before
        this service did. Another job's output that is not reported yet is
        left for the Reader's own report to look up.
        """
        inputs: list[Properties] = []
        warnings: list[str] = []
        known = self.repository.existing_tables(
            item.table
            for item in plan.reader_inputs
            if isinstance(item.table, TableRef)
        )
        for item in plan.reader_inputs:
            who = f"{item.component} of {item.role} {item.party_id}"
            table = self._reader_table(item.table, item.role, item.party_id)
            if table is None:
                warnings.append(
                    f"{who} reads {_describe(item.table)}, which is not reported "
                    "yet; the Reader's report looks it up again"
                )
                continue
            if isinstance(item.table, TableRef) and (
                (table.namespace, table.name) not in known
            ):
                warnings.append(
                    f"{who} reads {table.namespace}/{table.name}, which is not "
                    "registered; it is recorded with origin unregistered. Register "
                    "it with `flow data upload` or `flow table bind` to add its "
                    "metadata."
                )
            inputs.append(
                {
                    "component": item.component,
                    "role": item.role,
                    "party_id": item.party_id,
                    "slot": READER_SLOT,
                    "namespace": table.namespace,
                    "name": table.name,
                }
            )
        return inputs, warnings

    def _reader_table(
        self, table: TableRef | JobOutputRef, role: str, party_id: str
    ) -> TableRef | None:
        if isinstance(table, TableRef):
            return table
        ref = {
            "job_id": table.job_id,
            "component": table.component,
            "data_name": table.data_name,
        }
        found = self.repository.find_task_outputs([ref], role, party_id)
        if not found:
            return None
        return TableRef(found[0]["namespace"], found[0]["name"])

    def change_status(self, job_id: str, status: str) -> Properties:
        """Move a job to ``status``; the same status twice changes nothing."""
        if status not in STATUSES:
            raise InvalidInput(
                f"status {status!r} is not one of {', '.join(STATUSES)}",
                details={"status": status},
            )
        changes: list[tuple[str, bool] | None] = []

        def decide(stored: Properties) -> tuple[str, bool] | None:
            changes.append(next_status(stored, status))
            return changes[-1]

        job = self.repository.change_job_status(job_id, decide, now_ms())
        if job is None:
            raise job_not_found(job_id)
        # The last call of decide is the one whose transaction committed.
        last = changes[-1] if changes else None
        if last is not None and last[1] and self.hooks is not None:
            self.hooks.after_end(job)
        log.info("job %s status is %s", job_id, job["status"])
        return job

    def find_job(self, job_id: str) -> Properties:
        job = self.repository.find_job(job_id)
        if job is None:
            raise job_not_found(job_id)
        return job

    def job_plan(self, job: Properties) -> JobPlan:
        """Parse the DSL and conf stored with a job."""
        return dsl.parse_job(json.loads(job["dsl"]), json.loads(job["runtime_conf"]))

    def report_task(self, report: TaskReport) -> dict[str, Any]:
        """Record a task's inputs, outputs and derived edges.

        Inputs and parents that cannot be resolved are left out and listed
        under ``skipped`` instead of failing the report.
        """
        job = self.find_job(report.job_id)
        plan = self.job_plan(job)
        _check_task(plan, report)
        record, skipped = plan_task_record(self.repository, plan, report)
        self.repository.record_task(
            record, now_ms(), lambda task, written: check_outputs(record, task, written)
        )
        for reason in skipped:
            log.warning(
                "job %s task %s %s %s: %s",
                report.job_id,
                report.component,
                report.role,
                report.party_id,
                reason,
            )
        return {
            "job_id": report.job_id,
            "component_name": report.component,
            "role": report.role,
            "party_id": report.party_id,
            "inputs": [_table_entry(item) for item in record.inputs],
            "outputs": [_table_entry(item) for item in record.outputs],
            "edge_count": len(record.edges),
            "skipped": skipped,
        }

    def output_tables(
        self, job_id: str, component: str, role: str, party_id: str
    ) -> list[dict[str, str]]:
        """Return a task's output tables in FATE Flow's shape."""
        plan = self.job_plan(self.find_job(job_id))
        _check_task(plan, TaskReport(job_id, component, role, party_id))
        ref = {"job_id": job_id, "component": component, "data_name": None}
        return [
            {
                "data_name": found["data_name"],
                "table_name": found["name"],
                "table_namespace": found["namespace"],
            }
            for found in self.repository.find_task_outputs([ref], role, party_id)
        ]


def _check_task(plan: JobPlan, report: TaskReport) -> None:
    names = [component.name for component in plan.components]
    if report.component not in names:
        raise NotFound(
            f"job {report.job_id} has no component {report.component!r}; "
            f"its components are {', '.join(names)}",
            details={"job_id": report.job_id, "component_name": report.component},
        )
    for task in plan.tasks:
        if (task.component, task.role, task.party_id) == (
            report.component,
            report.role,
            report.party_id,
        ):
            return
    parties = ", ".join(
        f"{task.role} {task.party_id}"
        for task in plan.tasks
        if task.component == report.component
    )
    raise NotFound(
        f"job {report.job_id} has no task of {report.component} for "
        f"{report.role} {report.party_id}; it runs on {parties or 'no party'}",
        details={"job_id": report.job_id, "component_name": report.component},
    )


def job_not_found(job_id: str) -> NotFound:
    """Return the 404 for a job id that no job has, with what to do next."""
    return NotFound(
        f"no found job {job_id}; check the id, or submit it with `flow job submit`",
        details={"job_id": job_id},
    )


def _describe(table: TableRef | JobOutputRef) -> str:
    if isinstance(table, TableRef):
        return f"{table.namespace}/{table.name}"
    return (
        f"output {table.data_name} of {table.component} in job {table.job_id}, "
        "which has not been reported"
    )


def _table_entry(item: Properties) -> dict[str, Any]:
    return {
        "data_name": item["slot"],
        "table_name": item["name"],
        "table_namespace": item["namespace"],
    }


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _without_none(properties: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in properties.items() if value is not None}
