"""Task outputs: components report them, FATE's command lists them."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_restx import Namespace, Resource

from fate_lineage.api.envelope import Response, success
from fate_lineage.api.models import body_model
from fate_lineage.api.schemas import TaskKeySchema, TaskReportSchema, load_body
from fate_lineage.tracking.dsl import TableRef
from fate_lineage.tracking.task_report import OutputSpec, TaskReport

ns = Namespace("tracking", description="Output tables of a job's tasks")


def _recorder() -> Any:
    return current_app.extensions["fate_lineage"].recorder


@ns.route("/component/output/data/report")
class ReportOutputs(Resource):
    @ns.expect(body_model(ns, TaskReportSchema))
    def post(self) -> Response:
        """Record a task's output tables and their parents.

        Without inputs, the task's inputs come from its DSL. Without outputs,
        it writes one table per DSL output under FATE's default names. Each
        output's parents default to every input. What cannot be resolved is
        listed under skipped, and the call still succeeds.
        """
        body = load_body(TaskReportSchema())
        result = _recorder().report_task(_task_report(body))
        retmsg = (
            "success"
            if not result["skipped"]
            else (
                f"success; {len(result['skipped'])} item(s) not recorded, see "
                "data.skipped"
            )
        )
        return success(result, retmsg=retmsg)


@ns.route("/component/output/data/table")
class OutputTables(Resource):
    @ns.expect(body_model(ns, TaskKeySchema))
    def post(self) -> Response:
        """List a task's output tables: data_name, table_name, table_namespace."""
        body = load_body(TaskKeySchema())
        tables = _recorder().output_tables(
            body["job_id"], body["component_name"], body["role"], body["party_id"]
        )
        return success(tables)


def _task_report(body: dict[str, Any]) -> TaskReport:
    inputs = body.get("inputs")
    outputs = body.get("outputs")
    return TaskReport(
        job_id=body["job_id"],
        component=body["component_name"],
        role=body["role"],
        party_id=body["party_id"],
        task_version=body["task_version"],
        status=body["status"],
        inputs=None
        if inputs is None
        else tuple(
            (item["slot"], TableRef(item["namespace"], item["table_name"]))
            for item in inputs
        ),
        outputs=None if outputs is None else tuple(_output(item) for item in outputs),
    )


def _output(item: dict[str, Any]) -> OutputSpec:
    table = None
    if "table_name" in item or "namespace" in item:
        table = TableRef(item.get("namespace", ""), item.get("table_name", ""))
    parents = item.get("parents")
    return OutputSpec(
        data_name=item["data_name"],
        table=table,
        parents=None
        if parents is None
        else tuple(
            TableRef(parent["namespace"], parent["table_name"]) for parent in parents
        ),
        properties={key: item[key] for key in ("row_count", "columns") if key in item},
    )
