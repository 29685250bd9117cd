"""OpenAPI models derived from the marshmallow request schemas.

The schemas validate; the models only document. Deriving one from the other,
validators included, keeps the OpenAPI document from drifting away from what
is enforced.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask_restx import Model, Namespace, fields
from flask_restx.utils import merge
from marshmallow import RAISE, Schema, validate
from marshmallow import fields as mfields

from fate_lineage.api.schemas import PartyId, Time
from fate_lineage.tracking.timefmt import MAX_TIME

if TYPE_CHECKING:
    from flask_restx import Api


class _AnyValue(fields.Raw):
    """A field of any JSON type, null included."""

    __schema_type__ = None


envelope_model = Model(
    "Envelope",
    {
        "retcode": fields.Integer(
            required=True, description="0 on success, else FATE's retcode"
        ),
        "retmsg": fields.String(
            required=True, description="What happened, and what to do next"
        ),
        "data": _AnyValue(description="The result; null on most errors"),
    },
)

# Statuses that every POST endpoint may return besides 200, with the retcodes
# of the README's table. 500 is left out because it means a bug.
ERROR_RESPONSES = {
    400: "Invalid input: a field is missing, malformed or out of range (retcode 101)",
    404: "An unknown table, job or task (retcode 100)",
    409: "A conflict with the current state, or not enough resources (retcode 103)",
    413: "The body is over the size limit (retcode 101)",
    503: "Neo4j or Redis is unavailable; retmsg names it (retcode 105)",
}


def body_model(ns: Namespace, schema: type[Schema]) -> Model:
    """Register and return the model of ``schema`` under its class name.

    A schema that rejects unknown keys gives a model with
    ``additionalProperties: false``.
    """
    name = schema.__name__.removesuffix("Schema").lstrip("_")
    instance = schema()
    properties = {
        field_name: _field_of(ns, field)
        for field_name, field in instance.fields.items()
    }
    return ns.model(name, properties, strict=instance.unknown == RAISE)


def document_responses(api: Api) -> None:
    """Document the envelope on 200 and the error statuses of every POST.

    Responses that an endpoint declares itself are kept.
    """
    api.models[envelope_model.name] = envelope_model
    responses = {
        "200": ("Success", envelope_model),
        **{str(code): (text, envelope_model) for code, text in ERROR_RESPONSES.items()},
    }
    for namespace in api.namespaces:
        for route in namespace.resources:
            resource = route.resource
            if "POST" not in (resource.methods or ()):
                continue
            declared = resource.__dict__.get("__apidoc__", {})
            resource.__apidoc__ = merge({"post": {"responses": responses}}, declared)


class _Integer(fields.Integer):
    """An integer field that can also document an enum."""

    def __init__(self, *args: Any, enum: list[int] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.enum = enum

    def schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = super().schema()
        if self.enum:
            schema["enum"] = self.enum
        return schema


def _field_of(ns: Namespace, field: mfields.Field[Any]) -> Any:
    required = field.required
    if isinstance(field, mfields.Nested) and isinstance(field.nested, type):
        return fields.Nested(body_model(ns, field.nested), required=required)
    if isinstance(field, mfields.List):
        return fields.List(
            _field_of(ns, field.inner),
            required=required,
            **_limits(field, "min_items", "max_items"),
        )
    if isinstance(field, Time):
        return fields.Integer(
            required=required,
            min=0,
            max=MAX_TIME,
            description="Epoch milliseconds; ISO 8601 text is accepted too, "
            "read as UTC when it has no offset",
        )
    if isinstance(field, PartyId):
        return fields.String(
            required=required,
            pattern=r"^[0-9]{1,32}$",
            example="9999",
            description="Decimal digits; a JSON number is accepted too",
        )
    if isinstance(field, mfields.Boolean):
        return fields.Boolean(required=required)
    if isinstance(field, mfields.Integer):
        return _Integer(required=required, **_bounds(field))
    if isinstance(field, mfields.String):
        return fields.String(
            required=required, **_limits(field, "min_length", "max_length")
        )
    return fields.Raw(required=required)


def _limits(field: mfields.Field[Any], low: str, high: str) -> dict[str, Any]:
    """Return a string's or a list's Length, Regexp and OneOf rules as keywords."""
    found: dict[str, Any] = {}
    for rule in field.validators:
        if isinstance(rule, validate.Length):
            found[low] = rule.equal if rule.equal is not None else rule.min
            found[high] = rule.equal if rule.equal is not None else rule.max
        elif isinstance(rule, validate.Regexp):
            # marshmallow anchors the pattern at the start only, so the schemas
            # end theirs with \Z when the whole value must match.
            pattern = str(rule.regex.pattern).removesuffix(r"\Z")
            found["pattern"] = f"^(?:{pattern})$"
        elif isinstance(rule, validate.OneOf):
            found["enum"] = list(rule.choices)
    return {key: value for key, value in found.items() if value is not None}


def _bounds(field: mfields.Field[Any]) -> dict[str, Any]:
    """Return an integer's Range and OneOf rules as keywords."""
    found: dict[str, Any] = {}
    for rule in field.validators:
        if isinstance(rule, validate.Range):
            found["min"], found["max"] = rule.min, rule.max
            found["exclusiveMin"] = not rule.min_inclusive or None
            found["exclusiveMax"] = not rule.max_inclusive or None
        elif isinstance(rule, validate.OneOf):
            found["enum"] = list(rule.choices)
    return {key: value for key, value in found.items() if value is not None}
