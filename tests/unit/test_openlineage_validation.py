"""The compiled check must never accept an event the full validator rejects."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import fastjsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fate_lineage.errors import InvalidInput
from fate_lineage.ingest import validation
from fate_lineage.ingest.validation import event_kind, validate_event

FIXTURES = Path(__file__).parents[1] / "fixtures" / "openlineage"
EVENTS = [
    json.loads(path.read_text())
    for folder in ("airflow", "spark-cll", "simple")
    for path in sorted((FIXTURES / folder).glob("*.json"))
]
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Return the path of every value inside ``value``, nested ones too."""
    found = [prefix] if prefix else []
    items: Any = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else []
    )
    for key, item in items:
        found += paths(item, (*prefix, key))
    return found


def full_validator_accepts(event: Any) -> bool:
    kind = event_kind(event)
    return not any(validation._validator(kind).iter_errors(event))


def compiled_check_accepts(event: Any) -> bool:
    try:
        validation._compiled_check(event_kind(event))(event)
    except fastjsonschema.JsonSchemaValueException:
        return False
    return True


@pytest.mark.parametrize("index", range(len(EVENTS)))
def test_fixtures_pass_both_checks(index: int) -> None:
    assert compiled_check_accepts(EVENTS[index])
    assert full_validator_accepts(EVENTS[index])


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_compiled_check_is_never_looser(data: st.DataObject) -> None:
    event = copy.deepcopy(data.draw(st.sampled_from(EVENTS)))
    path = data.draw(st.sampled_from(paths(event)))
    parent = event
    for key in path[:-1]:
        parent = parent[key]
    if data.draw(st.booleans()) and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = data.draw(JSON_VALUES)

    if compiled_check_accepts(event):
        assert full_validator_accepts(event)


def test_rejected_event_names_each_field() -> None:
    event = copy.deepcopy(EVENTS[2])
    del event["job"]["name"]
    event["run"]["runId"] = 7

    with pytest.raises(InvalidInput) as caught:
        validate_event(event)

    assert "job.name is missing" in caught.value.message
    assert "run.runId must be a string, got 7" in caught.value.message


@pytest.mark.parametrize(
    ("facets", "message"),
    [
        ({"\u0000": {}}, r'run.facets has the facet name "\u0000"'),
        ({"x" * 201: {}}, "run.facets has the facet name"),
        ({f"f{i}": {} for i in range(101)}, "run.facets has more than 100 facets"),
    ],
    ids=["nul", "too-long", "too-many"],
)
def test_facet_names_are_bounded(facets: dict[str, Any], message: str) -> None:
    event = copy.deepcopy(EVENTS[-1])
    facet = {
        "_producer": "https://example.com/p",
        "_schemaURL": "https://example.com/s",
    }
    event["run"]["facets"] = {name: facet for name in facets}

    with pytest.raises(InvalidInput) as caught:
        validate_event(event)

    assert message in caught.value.message
