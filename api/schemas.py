"""Request bodies of the tracking endpoints, validated with marshmallow.

``load_body`` turns every validation problem into one InvalidInput listing
each field, so the caller fixes all of them in one round.
"""

from __future__ import annotations

from typing import Any

from flask import request
from marshmallow import (
    EXCLUDE,
    RAISE,
    Schema,
    ValidationError,
    fields,
    validate,
    validates_schema,
)

from fate_lineage.errors import InvalidInput
from fate_lineage.tracking.timefmt import parse_time

_NAME = validate.Length(min=1, max=512)
_STATUSES = ("waiting", "running", "success", "failed", "canceled")
_TASK_STATUSES = ("running", "success", "failed")


def _text(**kwargs: Any) -> fields.String:
    return fields.String(validate=_NAME, **kwargs)


class PartyId(fields.String):
    """A party id; FATE confs write it as a number, the CLI as a string."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        return str(super()._deserialize(value, attr, data, **kwargs))


class Time(fields.Field[int]):
    """Epoch milliseconds, or an ISO 8601 time read as UTC without an offset."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> int:
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise ValidationError("Not a time: give epoch milliseconds or ISO 8601.")
        try:
            return parse_time(value)
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class TableKeySchema(_Strict):
    table_name = _text(required=True)
    namespace = _text(required=True)


class UploadSchema(TableKeySchema):
    class Meta:
        # FATE's upload conf carries keys such as `drop` or `work_mode` that
        # mean nothing to a metadata service.
        unknown = EXCLUDE

    file = fields.String(validate=validate.Length(max=4096))
    head = fields.Integer(validate=validate.OneOf([0, 1]))
    partition = fields.Integer(validate=validate.Range(min=1))
    id_delimiter = fields.String(validate=validate.Length(min=1, max=8))
    columns = fields.List(
        fields.String(validate=_NAME), validate=validate.Length(max=10_000)
    )
    row_count = fields.Integer(validate=validate.Range(min=0))


class BindSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    name = _text(required=True)
    namespace = _text(required=True)
    engine = _text()
    address = fields.Dict()
    head = fields.Integer(validate=validate.OneOf([0, 1]))
    id_delimiter = fields.String(validate=validate.Length(min=1, max=8))
    partitions = fields.Integer(validate=validate.Range(min=1))
    columns = fields.List(
        fields.String(validate=_NAME), validate=validate.Length(max=10_000)
    )
    row_count = fields.Integer(validate=validate.Range(min=0))


class SubmitSchema(_Strict):
    dsl = fields.Dict(required=True)
    runtime_conf = fields.Dict(required=True)
    job_id = _text()


class JobIdSchema(_Strict):
    job_id = _text(required=True)


class JobUpdateSchema(JobIdSchema):
    status = fields.String(required=True, validate=validate.OneOf(_STATUSES))


class TaskKeySchema(JobIdSchema):
    component_name = _text(required=True)
    role = _text(required=True)
    party_id = PartyId(required=True, validate=_NAME)


class _TableInputSchema(TableKeySchema):
    slot = _text(load_default="data")


class _OutputSchema(_Strict):
    data_name = _text(required=True)
    table_name = _text()
    namespace = _text()
    parents = fields.List(fields.Nested(TableKeySchema))
    row_count = fields.Integer(validate=validate.Range(min=0))
    columns = fields.List(
        fields.String(validate=_NAME), validate=validate.Length(max=10_000)
    )

    @validates_schema
    def _check_table_key(self, data: dict[str, Any], **_: Any) -> None:
        if ("table_name" in data) != ("namespace" in data):
            raise ValidationError(
                "give both table_name and namespace, or neither for the "
                "default output name",
                field_name="table_name",
            )


class TaskReportSchema(TaskKeySchema):
    task_version = fields.Integer(load_default=0, validate=validate.Range(min=0))
    status = fields.String(
        load_default="success", validate=validate.OneOf(_TASK_STATUSES)
    )
    inputs = fields.List(fields.Nested(_TableInputSchema))
    outputs = fields.List(fields.Nested(_OutputSchema))


class LineageSchema(TableKeySchema):
    direction = fields.String(
        load_default="up", validate=validate.OneOf(("up", "down", "both"))
    )
    depth = fields.Integer(validate=validate.Range(min=1))
    node_budget = fields.Integer(validate=validate.Range(min=1))
    as_of = Time()


class _PageSchema(_Strict):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    page_size = fields.Integer(load_default=20, validate=validate.Range(min=1))


class TableJobsSchema(_PageSchema, TableKeySchema):
    start_time = Time()
    end_time = Time()


class TableListSchema(_PageSchema):
    namespace_prefix = fields.String(load_default="", validate=validate.Length(max=512))


def load_body(schema: Schema) -> dict[str, Any]:
    """Return the request's JSON object loaded by ``schema``, or raise InvalidInput."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput(
            "the request body must be a JSON object with Content-Type "
            'application/json, for example {"table_name": "t", "namespace": "n"}'
        )
    try:
        loaded: dict[str, Any] = schema.load(body)
    except ValidationError as exc:
        problems = "; ".join(_flatten(exc.messages))
        raise InvalidInput(
            f"invalid request body: {problems}",
            details={"errors": exc.messages},
        ) from exc
    return loaded


def _flatten(messages: Any, prefix: str = "") -> list[str]:
    if isinstance(messages, dict):
        found = []
        for key, value in messages.items():
            found.extend(_flatten(value, f"{prefix}{key}."))
        return found
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return [f"{prefix.rstrip('.')}: {' '.join(messages)}"]
    if isinstance(messages, list):
        return [line for item in messages for line in _flatten(item, prefix)]
    return [f"{prefix.rstrip('.')}: {messages}"]
