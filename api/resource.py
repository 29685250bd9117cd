"""Resources: FATE Flow's query and return, plus apply, leases and reaping."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_restx import Namespace, Resource
from marshmallow import fields

from fate_lineage.api.envelope import Response, success
from fate_lineage.api.models import body_model
from fate_lineage.api.schemas import JobIdSchema, StrictSchema, TaskKeySchema, load_body

ns = Namespace("resource", description="Cores and memory of engines and jobs")

_job_id = body_model(ns, JobIdSchema)


class EngineQuerySchema(StrictSchema):
    engine_name = fields.String()


class ReturnSchema(JobIdSchema):
    force = fields.Boolean(load_default=False, truthy={True}, falsy={False})


def _accounting() -> Any:
    return current_app.extensions["fate_lineage"].resources


@ns.route("/query")
class Query(Resource):
    @ns.expect(body_model(ns, EngineQuerySchema))
    def post(self) -> Response:
        """Return an engine's cores and memory and every job holding some.

        Without engine_name, the default computing engine of service_conf.yaml.
        """
        body = load_body(EngineQuerySchema())
        return success(_accounting().query(body.get("engine_name")))


@ns.route("/apply")
class Apply(Resource):
    @ns.expect(_job_id)
    def post(self) -> Response:
        """Take a job's cores and memory for all its parties, or none.

        A second apply changes nothing. Not enough now is 409 with the
        requested and remaining figures.
        """
        body = load_body(JobIdSchema())
        result = _accounting().apply(body["job_id"])
        retmsg = (
            "success"
            if result["applied"]
            else (f"job {body['job_id']} holds its resources already; nothing changed")
        )
        return success(result, retmsg=retmsg)


@ns.route("/return")
class Return(Resource):
    @ns.expect(body_model(ns, ReturnSchema))
    def post(self) -> Response:
        """Give a job's resources back, one item per party (FATE's shape).

        A running job's resources need force: true.
        """
        body = load_body(ReturnSchema())
        job_id = body["job_id"]
        items, status = _accounting().give_back(job_id, force=body["force"])
        retmsg = "success"
        if status == "running" and any(i["resource_return_status"] for i in items):
            retmsg = (
                f"success; job {job_id} is still running, and its remaining "
                "tasks have no resources now"
            )
        return success(items, retmsg=retmsg)


@ns.route("/heartbeat")
class Heartbeat(Resource):
    @ns.expect(_job_id)
    def post(self) -> Response:
        """Extend the lease of a job's allocation by lease_seconds."""
        body = load_body(JobIdSchema())
        return success(_accounting().renew(body["job_id"]))


@ns.route("/reap")
class Reap(Resource):
    def post(self) -> Response:
        """Return the resources of every job whose lease expired now."""
        return success({"reaped": _accounting().reap()})


@ns.route("/task/apply")
class ApplyTask(Resource):
    @ns.expect(body_model(ns, TaskKeySchema))
    def post(self) -> Response:
        """Take one task's cores and memory from its party's share of the job."""
        body = load_body(TaskKeySchema())
        result = _accounting().apply_task(
            body["job_id"], body["component_name"], body["role"], body["party_id"]
        )
        return success(result)


@ns.route("/task/return")
class ReturnTask(Resource):
    @ns.expect(body_model(ns, TaskKeySchema))
    def post(self) -> Response:
        """Give one task's cores and memory back to its party's share."""
        body = load_body(TaskKeySchema())
        result = _accounting().return_task(
            body["job_id"], body["component_name"], body["role"], body["party_id"]
        )
        return success(result)
