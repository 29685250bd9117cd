"""The folder where gunicorn's workers keep their metric values.

prometheus_client chooses its multiprocess mode once, when it is first
imported, from PROMETHEUS_MULTIPROC_DIR. This module does not import it, so
gunicorn's config can set the variable before the app's modules load.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

METRICS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"

# Folders that prepare_metrics_dir created in this process, and so may delete.
_created: set[str] = set()


def prepare_metrics_dir() -> str:
    """Return an empty folder for the workers' metric files.

    A folder named by PROMETHEUS_MULTIPROC_DIR is created if missing and
    emptied of the ``.db`` files of an earlier run, so counters start at zero.
    Without the variable, a new temporary folder is created.
    """
    configured = os.environ.get(METRICS_DIR_VARIABLE)
    if not configured:
        path = tempfile.mkdtemp(prefix="fate-lineage-metrics-")
        _created.add(path)
        return path
    folder = Path(configured)
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()
    return str(folder)


def remove_metrics_dir(path: str) -> None:
    """Delete the folder if prepare_metrics_dir created it; keep a configured one."""
    if path in _created:
        shutil.rmtree(path, ignore_errors=True)
        _created.discard(path)
