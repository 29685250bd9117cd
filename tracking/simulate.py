"""Play a submitted FATE job to the end without running it.

Each component, in the job's run order, reports its default outputs for every
party, exactly as a running component would. This records a whole example
chain from the CLI alone.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from fate_lineage.errors import Conflict
from fate_lineage.tracking.task_report import TaskReport

if TYPE_CHECKING:
    from fate_lineage.tracking.recording import Recorder

log = logging.getLogger(__name__)

SIMULATED_FROM = frozenset({"waiting", "running", "success"})


def simulate_job(recorder: Recorder, job_id: str) -> dict[str, Any]:
    """Report the outputs of every task still waiting, then end in success.

    Tasks that reported already keep their outputs, so simulating a job
    again changes nothing. A failed or canceled job is rejected.
    """
    job = recorder.find_job(job_id)
    if job["status"] not in SIMULATED_FROM:
        raise Conflict(
            f"job {job_id} is {job['status']}; only a waiting, running or "
            "successful job can be simulated. Submit it again under a new id.",
            details={"job_id": job_id, "status": job["status"]},
        )
    plan = recorder.job_plan(job)
    if job["status"] == "waiting":
        recorder.change_status(job_id, "running")

    statuses = {
        (task["component"], task["role"], task["party_id"]): task["status"]
        for task in recorder.repository.job_tasks(job_id)
    }
    tasks = []
    skipped: list[str] = []
    for task in plan.tasks:
        key = (task.component, task.role, task.party_id)
        if statuses.get(key, "waiting") == "waiting":
            report = TaskReport(job_id, task.component, task.role, task.party_id)
            result = recorder.report_task(report)
            outputs = result["outputs"]
            skipped.extend(
                f"{task.component} {task.role} {task.party_id}: {reason}"
                for reason in result["skipped"]
            )
        else:
            # The task reported already; its outputs stand as they are.
            outputs = recorder.output_tables(job_id, *key)
        tasks.append(
            {
                "component_name": task.component,
                "role": task.role,
                "party_id": task.party_id,
                "outputs": outputs,
            }
        )

    final = recorder.change_status(job_id, "success")
    log.info("job %s simulated: %d tasks reported", job_id, len(tasks))
    return {
        "job_id": job_id,
        "status": final["status"],
        "tasks": tasks,
        "skipped": skipped,
    }
