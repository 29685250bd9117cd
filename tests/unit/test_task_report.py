"""The rules that accept or reject a task's report before it is written."""

from __future__ import annotations

from typing import Any

import pytest

from fate_lineage.errors import Conflict
from fate_lineage.graph.lineage import TaskRecord
from fate_lineage.tracking.task_report import check_outputs


def record(status: str = "success", version: int = 0, slot: str = "data") -> TaskRecord:
    return TaskRecord(
        job_id="j",
        component="c",
        role="guest",
        party_id="9999",
        status=status,
        task_version=version,
        inputs=[],
        outputs=[{"slot": slot, "namespace": "n", "name": "t"}],
        edges=[],
    )


@pytest.mark.parametrize(
    ("task", "written", "report"),
    [
        ({"status": "waiting"}, {}, record()),
        ({"status": "success", "task_version": 0}, {"data": ("n", "t")}, record()),
        ({"status": "success", "task_version": 0}, {}, record("running", 1)),
        ({"status": "running", "task_version": 0}, {}, record("failed")),
    ],
    ids=["first", "same-again", "rerun", "running-fails"],
)
def test_accepted(
    task: dict[str, Any], written: dict[str, Any], report: TaskRecord
) -> None:
    check_outputs(report, task, written)


@pytest.mark.parametrize(
    ("task", "written", "report", "message"),
    [
        (
            {"status": "success", "task_version": 2},
            {},
            record(version=1),
            "out of date",
        ),
        (
            {"status": "success", "task_version": 0},
            {"data": ("n", "other")},
            record(),
            "already wrote n/other",
        ),
        (
            {"status": "success", "task_version": 0},
            {},
            record("running"),
            "report a rerun as running with task_version 1",
        ),
    ],
    ids=["old-version", "other-output", "back-to-running"],
)
def test_rejected(
    task: dict[str, Any], written: dict[str, Any], report: TaskRecord, message: str
) -> None:
    with pytest.raises(Conflict, match=message):
        check_outputs(report, task, written)
