"""Jobs: submission, status, and the simulation of a whole run."""

from __future__ import annotations

import json
from typing import Any

from flask import current_app
from flask_restx import Namespace, Resource

from fate_lineage.api.envelope import Response, success
from fate_lineage.api.models import body_model
from fate_lineage.api.schemas import (
    JobIdSchema,
    JobUpdateSchema,
    SubmitSchema,
    load_body,
)
from fate_lineage.tracking.simulate import simulate_job

ns = Namespace("job", description="FATE jobs: submit, query, status, simulate")

_job_id = body_model(ns, JobIdSchema)

# Job properties stored as JSON text in the graph, parsed in responses.
_JSON_PROPERTIES = ("roles", "dsl", "runtime_conf")
_JOB_FIELDS = (
    "job_id",
    "status",
    "initiator_role",
    "initiator_party_id",
    "dsl_version",
    "roles",
    "create_time",
    "start_time",
    "end_time",
    "update_time",
    "recorded_at",
    "dsl",
    "runtime_conf",
)


def _recorder() -> Any:
    return current_app.extensions["fate_lineage"].recorder


@ns.route("/submit")
class Submit(Resource):
    @ns.expect(body_model(ns, SubmitSchema))
    def post(self) -> Response:
        """Record a job, one task per component per party, and Reader inputs.

        A job id in FATE's timestamp format is generated unless one is given.
        The same job id, DSL and conf sent again change nothing.
        """
        body = load_body(SubmitSchema())
        submission = _recorder().submit_job(
            body["dsl"], body["runtime_conf"], body.get("job_id")
        )
        job = submission.job
        data = {
            "job_id": job["job_id"],
            "status": job["status"],
            "task_count": len(submission.plan.tasks),
            "reader_tables": [
                {
                    "component_name": item.component,
                    "role": item.role,
                    "party_id": item.party_id,
                    "table": vars(item.table),
                }
                for item in submission.plan.reader_inputs
            ],
            "warnings": submission.warnings,
        }
        retmsg = "success"
        if not submission.created:
            retmsg = (
                f"job {job['job_id']} was submitted before with the same DSL and "
                "conf; nothing changed"
            )
        elif submission.warnings:
            retmsg = f"success; {len(submission.warnings)} warning(s) in data.warnings"
        return success(data, retmsg=retmsg)


@ns.route("/query")
class Query(Resource):
    @ns.expect(_job_id)
    def post(self) -> Response:
        """Return a list holding the job, as FATE Flow's job query does."""
        body = load_body(JobIdSchema())
        return success([_job_view(_recorder().find_job(body["job_id"]))])


@ns.route("/update")
class Update(Resource):
    @ns.expect(body_model(ns, JobUpdateSchema))
    def post(self) -> Response:
        """Move a job to a status: waiting, running, success, failed, canceled.

        waiting can become running, failed or canceled; running can end in
        success, failed or canceled; an ended job keeps its status.
        """
        body = load_body(JobUpdateSchema())
        job = _recorder().change_status(body["job_id"], body["status"])
        return success(_job_view(job))


@ns.route("/stop")
class Stop(Resource):
    @ns.expect(_job_id)
    def post(self) -> Response:
        """Cancel a waiting or running job."""
        body = load_body(JobIdSchema())
        return success(_job_view(_recorder().change_status(body["job_id"], "canceled")))


@ns.route("/simulate")
class Simulate(Resource):
    @ns.expect(_job_id)
    def post(self) -> Response:
        """Report every task's default outputs in run order, then end in success."""
        body = load_body(JobIdSchema())
        return success(simulate_job(_recorder(), body["job_id"]))


def _job_view(job: dict[str, Any]) -> dict[str, Any]:
    """Return the job with its JSON properties parsed, in a fixed key order."""
    ordered = {key: job[key] for key in _JOB_FIELDS if key in job}
    return {
        key: json.loads(value) if key in _JSON_PROPERTIES else value
        for key, value in {**ordered, **job}.items()
    }
