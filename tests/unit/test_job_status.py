"""Job status moves and the time formats that queries accept."""

from __future__ import annotations

import pytest

from fate_lineage.errors import Conflict
from fate_lineage.tracking.recording import next_status
from fate_lineage.tracking.timefmt import parse_time


@pytest.mark.parametrize(
    ("current", "requested", "expected"),
    [
        ("waiting", "running", ("running", False)),
        ("waiting", "canceled", ("canceled", True)),
        ("waiting", "failed", ("failed", True)),
        ("running", "success", ("success", True)),
        ("running", "running", None),
        ("success", "success", None),
    ],
)
def test_allowed_moves(
    current: str, requested: str, expected: tuple[str, bool] | None
) -> None:
    assert next_status({"job_id": "j", "status": current}, requested) == expected


@pytest.mark.parametrize(
    ("current", "requested"),
    [
        ("waiting", "success"),
        ("running", "waiting"),
        ("success", "running"),
        ("canceled", "failed"),
    ],
)
def test_rejected_moves(current: str, requested: str) -> None:
    with pytest.raises(Conflict, match=f"job j is {current} and cannot become"):
        next_status({"job_id": "j", "status": current}, requested)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1764867600000, 1764867600000),
        ("1764867600000", 1764867600000),
        ("2000-01-01", 946684800000),
        ("2000-01-01T00:00:00Z", 946684800000),
        ("2000-01-01T08:00:00+08:00", 946684800000),
    ],
)
def test_parse_time(value: str | int, expected: int) -> None:
    assert parse_time(value) == expected


@pytest.mark.parametrize("value", ["yesterday", "2000-13-01", ""])
def test_parse_time_rejects(value: str) -> None:
    with pytest.raises(ValueError, match="epoch milliseconds"):
        parse_time(value)
