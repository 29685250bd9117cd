"""OpenAPI models derived from the marshmallow request schemas.

The schemas validate; the models only document. Deriving one from the other
keeps the OpenAPI document from drifting away from what is enforced.
"""

from __future__ import annotations

from typing import Any

from flask_restx import Model, Namespace, fields
from marshmallow import Schema
from marshmallow import fields as mfields

from fate_lineage.api.schemas import PartyId, Time


def body_model(ns: Namespace, schema: type[Schema]) -> Model:
    """Register and return the model of ``schema`` under its class name."""
    name = schema.__name__.removesuffix("Schema").lstrip("_")
    properties = {
        field_name: _field_of(ns, field)
        for field_name, field in schema().fields.items()
    }
    return ns.model(name, properties)


def _field_of(ns: Namespace, field: mfields.Field[Any]) -> Any:
    required = field.required
    if isinstance(field, mfields.Nested) and isinstance(field.nested, type):
        return fields.Nested(body_model(ns, field.nested), required=required)
    if isinstance(field, mfields.List):
        return fields.List(_field_of(ns, field.inner), required=required)
    if isinstance(field, Time):
        return fields.String(
            required=required,
            description="Epoch milliseconds or ISO 8601, UTC without an offset",
        )
    if isinstance(field, PartyId):
        return fields.String(required=required, example="9999")
    if isinstance(field, mfields.Integer):
        return fields.Integer(required=required)
    if isinstance(field, mfields.String):
        return fields.String(required=required)
    return fields.Raw(required=required)
