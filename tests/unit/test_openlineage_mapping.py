"""Mapping OpenLineage events to graph changes, without Neo4j."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fate_lineage.errors import InvalidInput
from fate_lineage.ingest.changes import Changes
from fate_lineage.ingest.mapping import (
    MAX_EDGES_PER_EVENT,
    map_event,
    parse_event_time,
)
from fate_lineage.ingest.validation import RUN_EVENT, validate_event

FIXTURES = Path(__file__).parents[1] / "fixtures" / "openlineage"
EVENTS = [
    json.loads(path.read_text())
    for folder in ("airflow", "spark-cll")
    for path in sorted((FIXTURES / folder).glob("*.json"))
]


def merged(events: list[dict[str, Any]]) -> Changes:
    changes = Changes()
    for event in events:
        changes.absorb(map_event(event, validate_event(event)))
    return changes


@pytest.mark.parametrize(
    ("text", "micros"),
    [
        ("1970-01-01T00:00:00Z", 0),
        ("1970-01-01T00:00:01.5Z", 1_500_000),
        ("1970-01-01T00:00:00.98Z", 980_000),
        ("1970-01-01T00:00:00.123456789Z", 123_456),
        ("1970-01-01T01:00:00+01:00", 0),
        ("1970-01-01T00:00:02", 2_000_000),
    ],
    ids=["z", "one-digit", "two-digits", "nanoseconds", "offset", "no-offset"],
)
def test_event_time(text: str, micros: int) -> None:
    assert parse_event_time(text) == micros


def test_event_time_placeholder_is_rejected() -> None:
    with pytest.raises(InvalidInput, match=r"eventTime '\{\{RUN_START_TIME\}\}'"):
        parse_event_time("{{RUN_START_TIME}}")


@settings(max_examples=20, deadline=None)
@given(st.permutations(EVENTS))
def test_any_order_same_changes(order: list[dict[str, Any]]) -> None:
    assert merged(order) == merged(EVENTS)


def test_replayed_events_change_nothing() -> None:
    assert merged(EVENTS + EVENTS) == merged(EVENTS)


def test_run_status_highest_rank() -> None:
    start, complete = EVENTS[1], EVENTS[2]
    run = (
        "airflow/BQ.upload",
        "BQ.upload",
        "01936893-9751-7b3c-8f76-8ac6d0e5f8a3",
    )

    changes = merged([complete, start])

    assert changes.runs[run].status.status == "success"
    assert (
        changes.runs[run].status.start_ms
        == parse_event_time(start["eventTime"]) // 1000
    )


def test_same_table_gets_no_self_edge() -> None:
    event = copy.deepcopy(EVENTS[2])
    event["outputs"] = [event["inputs"][0]]

    changes = map_event(event, RUN_EVENT)

    assert len(changes.writes) == 1
    assert all(child != parent for _, child, parent in changes.derived)


def test_event_with_too_many_edges_is_rejected() -> None:
    event = copy.deepcopy(EVENTS[2])
    side = int(MAX_EDGES_PER_EVENT**0.5) + 1
    event["inputs"] = [{"namespace": "n", "name": f"in{i}"} for i in range(side)]
    event["outputs"] = [{"namespace": "n", "name": f"out{i}"} for i in range(side)]

    with pytest.raises(InvalidInput, match="split its inputs or outputs"):
        map_event(event, RUN_EVENT)
