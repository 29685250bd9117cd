from __future__ import annotations

import stat
from pathlib import Path

import pytest

from fate_lineage.api import metrics_dir
from fate_lineage.api.metrics import (
    PROCESS_REGISTRY,
    count_ingest,
    event_type_label,
)


@pytest.mark.parametrize(
    ("event_type", "label"),
    [
        ("START", "START"),
        ("COMPLETE", "COMPLETE"),
        ("OTHER", "OTHER"),
        (None, "none"),
        ("", "none"),
        ("complete", "unknown"),
        ("DROP TABLE", "unknown"),
    ],
    ids=["start", "complete", "other", "missing", "empty", "lower-case", "invented"],
)
def test_event_type_label(event_type: str | None, label: str) -> None:
    assert event_type_label(event_type) == label


def ingested(event_type: str, outcome: str) -> float:
    value = PROCESS_REGISTRY.get_sample_value(
        "fate_lineage_openlineage_events_total",
        {"event_type": event_type, "outcome": outcome},
    )
    return value or 0.0


def test_count_ingest_adds_count() -> None:
    before = ingested("FAIL", "rejected")

    count_ingest("FAIL", "rejected", 3)
    count_ingest("FAIL", "rejected")

    assert ingested("FAIL", "rejected") == before + 4


def test_count_ingest_rejects_unknown_outcome() -> None:
    with pytest.raises(ValueError, match="recorded, rejected, failed"):
        count_ingest("START", "ok")


def test_configured_metrics_dir_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "metrics"
    monkeypatch.setenv(metrics_dir.METRICS_DIR_VARIABLE, str(folder))

    path = metrics_dir.choose_metrics_dir()
    metrics_dir.prepare_metrics_dir(path)
    metrics_dir.remove_metrics_dir(path)

    assert path == str(folder)
    assert folder.is_dir()


def test_configured_metrics_dir_emptied_of_db_files(tmp_path: Path) -> None:
    (tmp_path / "counter_123.db").write_bytes(b"old")
    (tmp_path / "notes.txt").write_text("kept")

    metrics_dir.prepare_metrics_dir(str(tmp_path))

    assert sorted(path.name for path in tmp_path.iterdir()) == ["notes.txt"]


def test_own_metrics_dir_created_and_removed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(metrics_dir.METRICS_DIR_VARIABLE, raising=False)

    path = metrics_dir.choose_metrics_dir()
    assert not Path(path).exists()
    metrics_dir.prepare_metrics_dir(path)
    created = Path(path).is_dir()
    mode = stat.S_IMODE(Path(path).stat().st_mode)
    metrics_dir.remove_metrics_dir(path)

    assert created
    assert mode == 0o700
    assert not Path(path).exists()
