"""The folder where gunicorn's workers keep their metric values.

prometheus_client chooses its multiprocess mode once, when it is first
imported, from PROMETHEUS_MULTIPROC_DIR. This module does not import it, so
gunicorn's config can set the variable before the app's modules load. The
folder itself is made later, in gunicorn's master, so that a start that fails
on its settings leaves nothing behind.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from pathlib import Path

METRICS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"

# Folders that choose_metrics_dir named in this process, and so may delete.
_own: set[str] = set()


def choose_metrics_dir() -> str:
    """Return PROMETHEUS_MULTIPROC_DIR, else a new path in the temp folder.

    Nothing is created here, because prepare_metrics_dir does that.
    """
    configured = os.environ.get(METRICS_DIR_VARIABLE)
    if configured:
        return configured
    path = os.path.join(
        tempfile.gettempdir(), f"fate-lineage-metrics-{uuid.uuid4().hex}"
    )
    _own.add(path)
    return path


def prepare_metrics_dir(path: str) -> None:
    """Create the folder, or empty a configured one of an earlier run's files.

    Removing the old ``.db`` files makes every counter start at zero.
    """
    if path in _own:
        # A new random name, created by this process alone, with no access
        # for other users.
        os.mkdir(path, 0o700)
        return
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()


def remove_metrics_dir(path: str) -> None:
    """Delete the folder if choose_metrics_dir named it, but keep a configured one."""
    # NOTE: a gunicorn binary upgrade (USR2) passes the variable to the new
    # master, which then treats the folder as configured, and the old master
    # still deletes it when it exits.
    if path in _own:
        shutil.rmtree(path, ignore_errors=True)
