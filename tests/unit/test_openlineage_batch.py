"""How a batch is split when Neo4j rejects part of it, with a fake store."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from fate_lineage.errors import InvalidInput
from fate_lineage.ingest.changes import Changes
from fate_lineage.ingest.service import OpenLineageIngest

SIMPLE = json.loads(
    (
        Path(__file__).parents[1]
        / "fixtures"
        / "openlineage"
        / "simple"
        / "simple_run_event.json"
    ).read_text()
)


class RejectingStore:
    """Record changes unless they name the table ``refused``."""

    def __init__(self) -> None:
        self.written: list[Changes] = []

    def record(self, changes: Changes) -> None:
        if any(name == "refused" for _, name in changes.tables):
            raise InvalidInput("Neo4j rejected the event's data")
        self.written.append(changes)


def event_writing(name: str) -> dict[str, Any]:
    event: dict[str, Any] = copy.deepcopy(SIMPLE)
    event["outputs"][0]["name"] = name
    return event


def test_rejected_event_fails_alone() -> None:
    store = RejectingStore()
    ingest = OpenLineageIngest(store)  # type: ignore[arg-type]
    events = [event_writing("a"), event_writing("refused"), event_writing("b")]

    result = ingest.ingest_batch(events)

    assert result.succeeded == 2
    assert result.failures == [
        {"index": 1, "retmsg": "Neo4j rejected the event's data"}
    ]
    written = {name for changes in store.written for _, name in changes.tables}
    assert {"a", "b"} <= written
    assert "refused" not in written


def test_valid_batch_is_one_write() -> None:
    store = RejectingStore()
    ingest = OpenLineageIngest(store)  # type: ignore[arg-type]

    result = ingest.ingest_batch([event_writing("a"), event_writing("b")])

    assert result.succeeded == 2
    assert len(store.written) == 1
