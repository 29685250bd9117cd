"""Tables: registration and FATE's tracking queries, plus lineage and lists."""

from __future__ import annotations

import json
from typing import Any

from flask import current_app
from flask_restx import Namespace, Resource

from fate_lineage.api.envelope import Response, success
from fate_lineage.api.models import body_model
from fate_lineage.api.schemas import (
    BindSchema,
    LineageSchema,
    TableJobsSchema,
    TableKeySchema,
    TableListSchema,
    UploadSchema,
    load_body,
)
from fate_lineage.errors import InvalidInput
from fate_lineage.tracking.dsl import TableRef

ns = Namespace("table", description="Tables, their sources, jobs and lineage")
data_ns = Namespace("data", description="Uploads: tables that have no parent")

_table_key = body_model(ns, TableKeySchema)


def _services() -> Any:
    return current_app.extensions["fate_lineage"]


def _table(body: dict[str, Any]) -> TableRef:
    return TableRef(body["namespace"], body["table_name"])


@data_ns.route("/upload")
class Upload(Resource):
    @data_ns.expect(body_model(data_ns, UploadSchema))
    def post(self) -> Response:
        """Register an uploaded table and its file's header and row count.

        The CLI reads the file on the client machine and sends only the
        metadata; the service never receives table data.
        """
        body = load_body(UploadSchema())
        properties = {key: body.get(key) for key in _UPLOAD_KEYS}
        stored = _services().recorder.register_table(_table(body), "upload", properties)
        return success(stored)


_UPLOAD_KEYS = ("file", "head", "partition", "id_delimiter", "columns", "row_count")


@ns.route("/bind")
class Bind(Resource):
    @ns.expect(body_model(ns, BindSchema))
    def post(self) -> Response:
        """Register a table that exists in storage already (FATE's table bind)."""
        body = load_body(BindSchema())
        address = body.get("address")
        properties = {
            "engine": body.get("engine"),
            "address": json.dumps(address, sort_keys=True) if address else None,
            "head": body.get("head"),
            "id_delimiter": body.get("id_delimiter"),
            "partition": body.get("partitions"),
            "columns": body.get("columns"),
            "row_count": body.get("row_count"),
        }
        table = TableRef(body["namespace"], body["name"])
        stored = _services().recorder.register_table(table, "bind", properties)
        return success(stored)


@ns.route("/table_info")
class TableInfo(Resource):
    @ns.expect(_table_key)
    def post(self) -> Response:
        """Return a table's recorded metadata."""
        body = load_body(TableKeySchema())
        return success(_services().queries.table_info(_table(body)))


@ns.route("/tracking/source")
class TrackingSource(Resource):
    @ns.expect(_table_key)
    def post(self) -> Response:
        """List each parent of a table with each source (root) reached from it.

        An uploaded table has no parent and gives []. The search is bounded by
        lineage.max_depth and lineage.max_node_budget; retmsg tells
        when it stopped at a bound.
        """
        body = load_body(TableKeySchema())
        items, complete = _services().queries.tracking_source(_table(body))
        if complete:
            return success(items)
        limits = _services().settings.lineage
        return success(
            items,
            retmsg=f"success; the search stopped at {limits.max_depth} hops or "
            f"{limits.max_node_budget} tables, so the farthest tables reached "
            "are listed as sources",
        )


@ns.route("/tracking/job")
class TrackingJob(Resource):
    @ns.expect(_table_key)
    def post(self) -> Response:
        """Return {"count", "job"}: the jobs that read the table, newest first."""
        body = load_body(TableKeySchema())
        return success(_services().queries.tracking_job(_table(body)))


@ns.route("/lineage")
class Lineage(Resource):
    @ns.expect(body_model(ns, LineageSchema))
    def post(self) -> Response:
        """Return the tables and edges up, down or both ways from a table.

        depth is in hops and node_budget in tables. truncated is true when the
        budget cut the response. as_of ignores everything recorded after it.
        """
        body = load_body(LineageSchema())
        limits = _services().settings.lineage
        depth = body.get("depth", limits.default_depth)
        budget = body.get("node_budget", limits.default_node_budget)
        _check_limit("depth", depth, limits.max_depth, "lineage.max_depth")
        _check_limit(
            "node_budget", budget, limits.max_node_budget, "lineage.max_node_budget"
        )
        answer = _services().queries.lineage(
            _table(body), body["direction"], depth, budget, body.get("as_of")
        )
        return success(answer)


@ns.route("/jobs")
class TableJobs(Resource):
    @ns.expect(body_model(ns, TableJobsSchema))
    def post(self) -> Response:
        """Return one page of the jobs that read a table, newest first.

        start_time and end_time bound the jobs' create_time (end excluded).
        """
        body = load_body(TableJobsSchema())
        _check_page_size(body["page_size"])
        answer = _services().queries.table_jobs(
            _table(body),
            body["page"],
            body["page_size"],
            body.get("start_time"),
            body.get("end_time"),
        )
        return success(answer)


@ns.route("/list")
class TableList(Resource):
    @ns.expect(body_model(ns, TableListSchema))
    def post(self) -> Response:
        """Return one page of tables whose namespace starts with a prefix."""
        body = load_body(TableListSchema())
        _check_page_size(body["page_size"])
        answer = _services().queries.list_tables(
            body["namespace_prefix"], body["page"], body["page_size"]
        )
        return success(answer)


def _check_page_size(page_size: int) -> None:
    limit = _services().settings.lineage.max_page_size
    _check_limit("page_size", page_size, limit, "lineage.max_page_size")


def _check_limit(field: str, value: int, limit: int, setting: str) -> None:
    if value > limit:
        raise InvalidInput(
            f"{field} {value} is over the limit of {limit}; ask for less, or "
            f"raise {setting} in service_conf.yaml",
            details={field: value, "limit": limit},
        )
