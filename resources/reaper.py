"""The background reaper: returns allocations whose lease expired.

Each API worker runs one. Several reapers at once are safe, because the
return script checks the lease again before it gives anything back.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fate_lineage.resources.accounting import ResourceAccounting

log = logging.getLogger(__name__)


def start_reaper(
    accounting: ResourceAccounting, interval_seconds: float
) -> threading.Event:
    """Start a daemon thread that reaps every ``interval_seconds``.

    Return an event that stops the thread when set.
    """
    stop = threading.Event()

    def run() -> None:
        log.info("resource reaper started: every %.1f s", interval_seconds)
        while not stop.wait(interval_seconds):
            try:
                accounting.reap()
            # The thread must outlive any single failure, such as Redis or
            # Neo4j being down for a while; each failure is logged.
            except Exception:
                log.exception("resource reaper pass failed; retrying next pass")

    threading.Thread(target=run, name="resource-reaper", daemon=True).start()
    return stop
