"""Request bodies of the tracking endpoints, validated with marshmallow.

``load_body`` turns every validation problem into one InvalidInput listing
each field, so the caller fixes all of them in one round.
"""

from __future__ import annotations

import json
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
from fate_lineage.tracking.plan import JOB_ID_PATTERN, JOB_ID_RULE
from fate_lineage.tracking.timefmt import MAX_TIME, parse_time

_NAME = validate.Length(min=1, max=512)
_STATUSES = ("waiting", "running", "success", "failed", "canceled")
_TASK_STATUSES = ("running", "success", "failed")
# Neo4j stores integers as signed 64-bit values.
_INT64_MAX = 2**63 - 1
# Pages past this one would skip more rows than any graph holds.
_MAX_PAGE = 1_000_000


def _text(**kwargs: Any) -> fields.String:
    return fields.String(validate=_NAME, **kwargs)


def _count(**kwargs: Any) -> fields.Integer:
    """Return a whole-number field that Neo4j can store: 0 to 2**63 - 1."""
    kwargs.setdefault("validate", validate.Range(min=0, max=_INT64_MAX))
    return fields.Integer(strict=True, **kwargs)


def _job_id(**kwargs: Any) -> fields.String:
    # Regexp only anchors at the start, so \Z makes the whole id match.
    return fields.String(
        validate=validate.Regexp(
            JOB_ID_PATTERN.pattern + r"\Z", error=f"Invalid job id. {JOB_ID_RULE}"
        ),
        **kwargs,
    )


class PartyId(fields.String):
    """A party id: decimal digits, as a number (FATE confs) or a string (CLI).

    Leading zeros are dropped, as job submission does, so "09999" and 9999
    name the same party.
    """

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        text = str(super()._deserialize(value, attr, data, **kwargs))
        if not text.isascii() or not text.isdigit() or len(text) > 32:
            raise ValidationError("Invalid party id: use 1 to 32 decimal digits.")
        return str(int(text))


class Time(fields.Field[int]):
    """Epoch milliseconds, or ISO 8601 (read as UTC when it has no offset)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> int:
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise ValidationError("Not a time: give epoch milliseconds or ISO 8601.")
        try:
            moment = parse_time(value)
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc
        if not 0 <= moment <= MAX_TIME:
            raise ValidationError(
                f"Time {value!r} is out of range: epoch milliseconds run from 0 "
                f"to {MAX_TIME} (year 9999)."
            )
        return moment


class StrictSchema(Schema):
    """A body that rejects unknown keys, so a misspelt option is an error."""

    class Meta:
        unknown = RAISE


class TableKeySchema(StrictSchema):
    table_name = _text(required=True)
    namespace = _text(required=True)


class UploadSchema(TableKeySchema):
    class Meta:
        # FATE's upload conf carries keys such as `drop` or `work_mode` that
        # mean nothing to a metadata service.
        unknown = EXCLUDE

    file = fields.String(validate=validate.Length(max=4096))
    head = _count(validate=validate.OneOf([0, 1]))
    partition = _count(validate=validate.Range(min=1, max=_INT64_MAX))
    id_delimiter = fields.String(validate=validate.Length(min=1, max=8))
    columns = fields.List(
        fields.String(validate=_NAME), validate=validate.Length(max=10_000)
    )
    row_count = _count()


class BindSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    name = _text(required=True)
    namespace = _text(required=True)
    engine = _text()
    address = fields.Dict()
    head = _count(validate=validate.OneOf([0, 1]))
    id_delimiter = fields.String(validate=validate.Length(min=1, max=8))
    partitions = _count(validate=validate.Range(min=1, max=_INT64_MAX))
    columns = fields.List(
        fields.String(validate=_NAME), validate=validate.Length(max=10_000)
    )
    row_count = _count()


class SubmitSchema(StrictSchema):
    dsl = fields.Dict(required=True)
    runtime_conf = fields.Dict(required=True)
    job_id = _job_id()


class JobIdSchema(StrictSchema):
    job_id = _job_id(required=True)


class JobUpdateSchema(JobIdSchema):
    status = fields.String(required=True, validate=validate.OneOf(_STATUSES))


class TaskKeySchema(JobIdSchema):
    component_name = _text(required=True)
    role = _text(required=True)
    party_id = PartyId(required=True, validate=_NAME)


class _TableInputSchema(TableKeySchema):
    slot = _text(load_default="data")


class _OutputSchema(StrictSchema):
    data_name = _text(required=True)
    table_name = _text()
    namespace = _text()
    parents = fields.List(fields.Nested(TableKeySchema))
    row_count = _count()
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
    task_version = _count(load_default=0, validate=validate.Range(min=0, max=10**6))
    status = fields.String(
        load_default="success", validate=validate.OneOf(_TASK_STATUSES)
    )
    inputs = fields.List(fields.Nested(_TableInputSchema))
    outputs = fields.List(fields.Nested(_OutputSchema))


class LineageSchema(TableKeySchema):
    direction = fields.String(
        load_default="up", validate=validate.OneOf(("up", "down", "both"))
    )
    depth = _count(validate=validate.Range(min=1, max=_INT64_MAX))
    node_budget = _count(validate=validate.Range(min=1, max=_INT64_MAX))
    as_of = Time()


class _PageSchema(StrictSchema):
    page = _count(load_default=1, validate=validate.Range(min=1, max=_MAX_PAGE))
    page_size = _count(load_default=20, validate=validate.Range(min=1, max=_INT64_MAX))


class TableJobsSchema(_PageSchema, TableKeySchema):
    start_time = Time()
    end_time = Time()

    @validates_schema
    def _check_range(self, data: dict[str, Any], **_: Any) -> None:
        start, end = data.get("start_time"), data.get("end_time")
        if start is not None and end is not None and start >= end:
            raise ValidationError(
                f"start_time {start} must be before end_time {end}",
                field_name="start_time",
            )


class TableListSchema(_PageSchema):
    namespace_prefix = fields.String(load_default="", validate=validate.Length(max=512))


def load_body(schema: Schema) -> dict[str, Any]:
    """Return the request's JSON object loaded by ``schema``, or raise InvalidInput."""
    body = _parse_json(request.get_data(cache=True))
    try:
        loaded: dict[str, Any] = schema.load(body)
    except ValidationError as exc:
        problems = "; ".join(_flatten(exc.messages))
        raise InvalidInput(
            f"invalid request body: {problems}",
            details={"errors": exc.messages},
        ) from exc
    return loaded


def _parse_json(raw: bytes) -> dict[str, Any]:
    """Parse a body as strict JSON that must be an object."""
    body = parse_json(raw)
    if not isinstance(body, dict):
        raise InvalidInput(
            "the request body must be a JSON object, for example "
            '{"table_name": "t", "namespace": "n"}'
        )
    return body


def parse_json(raw: bytes) -> Any:
    """Parse a body as strict JSON: no NaN or Infinity, valid UTF-8."""
    try:
        body = json.loads(raw, parse_constant=_reject_constant)
        # A lone surrogate such as "\ud800" parses, but no database can store it.
        json.dumps(body, ensure_ascii=False).encode("utf-8")
    except RecursionError:
        raise InvalidInput("the request body is nested too deeply") from None
    except UnicodeError as exc:
        raise InvalidInput(f"the request body is not valid UTF-8 text: {exc}") from None
    except ValueError as exc:
        raise InvalidInput(f"the request body is not valid JSON: {exc}") from None
    return body


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


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
