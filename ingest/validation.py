"""Check OpenLineage events against the shapes in ``openlineage_events.json``.

The schema follows OpenLineage 2-0-x. JSON Schema 2020-12 treats formats such
as ``uuid`` and ``date-time`` as annotations, so a run id like ``run_id``
passes. The event time is parsed later, and a bad one is reported there with
its value.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from importlib import resources
from typing import Any, cast

import fastjsonschema
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from fate_lineage.errors import InvalidInput

RUN_EVENT = "RunEvent"
JOB_EVENT = "JobEvent"
DATASET_EVENT = "DatasetEvent"

# Enough to fix several mistakes in one round trip, few enough to read.
_MAX_REPORTED_ERRORS = 10


def event_kind(event: Any) -> str:
    """Tell the event's kind from its keys, as the spec's three kinds differ."""
    if not isinstance(event, dict):
        raise InvalidInput(
            f"an OpenLineage event must be a JSON object, got {_kind_of(event)}",
        )
    if "run" in event:
        return RUN_EVENT
    if "dataset" in event:
        return DATASET_EVENT
    if "job" in event:
        return JOB_EVENT
    raise InvalidInput(
        "the event has none of run, job or dataset, so it is neither a "
        "RunEvent, a JobEvent nor a DatasetEvent; "
        f"keys sent: {', '.join(sorted(event)) or 'none'}",
    )


def validate_event(event: Any) -> str:
    """Return the event's kind, or raise InvalidInput naming each bad field.

    A compiled check accepts valid events quickly. An event it rejects goes
    through the full validator, which decides and names every problem.
    """
    kind = event_kind(event)
    try:
        _compiled_check(kind)(event)
    except fastjsonschema.JsonSchemaValueException:
        pass
    else:
        return kind
    errors = sorted(
        _validator(kind).iter_errors(event), key=lambda error: list(error.path)
    )
    if errors:
        problems = [_describe(error) for error in errors[:_MAX_REPORTED_ERRORS]]
        raise InvalidInput(
            f"invalid OpenLineage {kind}: {'; '.join(problems)}",
            details={"fields": [_field(error) for error in errors]},
        )
    return kind


@functools.cache
def _definitions() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("openlineage_events.json")
    definitions: dict[str, Any] = json.loads(text.read_text(encoding="utf-8"))["$defs"]
    return definitions


@functools.cache
def _validator(kind: str) -> Draft202012Validator:
    return Draft202012Validator({"$ref": f"#/$defs/{kind}", "$defs": _definitions()})


@functools.cache
def _compiled_check(kind: str) -> Callable[[Any], Any]:
    # fastjsonschema supports draft 7 at most, where formats are assertions.
    # Without them it checks what the 2020-12 validator checks, about 50 times
    # faster.
    schema = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$ref": f"#/$defs/{kind}",
        "$defs": _without_formats(_definitions()),
    }
    check: Callable[[Any], Any] = fastjsonschema.compile(schema)
    return check


def _without_formats(schema: Any) -> Any:
    if isinstance(schema, dict):
        return {k: _without_formats(v) for k, v in schema.items() if k != "format"}
    if isinstance(schema, list):
        return [_without_formats(item) for item in schema]
    return schema


def _field(error: ValidationError) -> str:
    path = ".".join(str(part) for part in error.absolute_path)
    if error.validator == "required":
        missing = error.message.split("'")[1]
        return f"{path}.{missing}" if path else missing
    return path or "(the event)"


def _describe(error: ValidationError) -> str:
    field = _field(error)
    if error.validator == "required":
        return f"{field} is missing"
    value = json.dumps(error.instance)
    if len(value) > 80:
        value = value[:77] + "..."
    if "propertyNames" in error.schema_path:
        return (
            f"{field} has the facet name {value}; facet names are 1 to 200 "
            "characters without control characters"
        )
    if error.validator == "maxProperties":
        return f"{field} has more than {error.validator_value} facets"
    if error.validator == "type":
        return f"{field} must be {_a(error.validator_value)}, got {value}"
    if error.validator == "enum":
        allowed = ", ".join(
            str(item) for item in cast("list[Any]", error.validator_value)
        )
        return f"{field} must be one of {allowed}, got {value}"
    if error.validator == "minLength":
        return f"{field} must not be empty"
    if error.validator == "maxLength":
        return f"{field} is longer than {error.validator_value} characters"
    return f"{field}: {error.message}"


def _a(type_name: Any) -> str:
    names = {"object": "an object", "array": "an array", "string": "a string"}
    return names.get(str(type_name), str(type_name))


def _kind_of(value: Any) -> str:
    return {list: "an array", str: "a string", type(None): "null"}.get(
        type(value), type(value).__name__
    )
