"""Prometheus metrics of the API, served at ``GET /metrics``.

Under gunicorn, gunicorn_conf sets PROMETHEUS_MULTIPROC_DIR before this module
loads, so every worker writes its counters and histograms to files there and
one scrape sums all workers. Without it, as under Flask's test client, the
values stay in this process. Engine cores and memory are read from Redis at
scrape time, in the worker that serves the scrape.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from flask import Response, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

from fate_lineage.api.metrics_dir import METRICS_DIR_VARIABLE
from fate_lineage.errors import BackendUnavailable
from fate_lineage.resources.accounting import engine_row

if TYPE_CHECKING:
    from flask import Flask

    from fate_lineage.resources.accounting import ResourceAccounting

log = logging.getLogger(__name__)

# prometheus_client read the same variable when it was imported above.
MULTIPROCESS = METRICS_DIR_VARIABLE in os.environ

# Multiprocess mode exports no _created series. Leaving them out here too
# makes /metrics list the same series with and without gunicorn.
disable_created_metrics()  # type: ignore[no-untyped-call]

# Metrics of this process, scraped when there is no multiprocess folder.
PROCESS_REGISTRY = CollectorRegistry()

# Bucket bounds in seconds. The last is gunicorn's worker timeout in gunicorn_conf.
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)

HTTP_REQUESTS = Counter(
    "fate_lineage_http_requests",
    "HTTP requests handled, by route template, method and status code.",
    ("endpoint", "method", "status"),
    registry=PROCESS_REGISTRY,
)
HTTP_DURATION = Histogram(
    "fate_lineage_http_request_duration_seconds",
    "Seconds from the start of a request's handling to its response.",
    ("endpoint", "method"),
    buckets=DURATION_BUCKETS,
    registry=PROCESS_REGISTRY,
)
OPENLINEAGE_EVENTS = Counter(
    "fate_lineage_openlineage_events",
    "OpenLineage events received, by eventType and outcome.",
    ("event_type", "outcome"),
    registry=PROCESS_REGISTRY,
)

# Label values for requests that matched no route, and for other methods, so
# that clients cannot add label values by sending odd paths or methods.
UNMATCHED_ENDPOINT = "unmatched"
OTHER_METHOD = "other"
METHODS = frozenset(("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"))

# eventType values of the OpenLineage spec's RunEvent. JobEvent and
# DatasetEvent have none and count as "none". Other values count as "unknown".
EVENT_TYPES = ("START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER")
NO_EVENT_TYPE = "none"
UNKNOWN_EVENT_TYPE = "unknown"
# An event is recorded when written to the graph, rejected when invalid, and
# failed when a backend error kept it from being written.
OUTCOMES = ("recorded", "rejected", "failed")


def count_ingest(event_type: str | None, outcome: str, count: int = 1) -> None:
    """Add ``count`` events to ``fate_lineage_openlineage_events_total``.

    ``event_type`` is the eventType as received, or None for an event without
    one. ``outcome`` must be one of OUTCOMES, else ValueError is raised.
    """
    if outcome not in OUTCOMES:
        raise ValueError(
            f"invalid OpenLineage ingest outcome {outcome!r}. "
            f"Use one of {', '.join(OUTCOMES)}."
        )
    OPENLINEAGE_EVENTS.labels(event_type_label(event_type), outcome).inc(count)


def event_type_label(event_type: str | None) -> str:
    """Return the label value for an eventType, one of eight values."""
    if event_type is None or event_type == "":
        return NO_EVENT_TYPE
    if event_type in EVENT_TYPES:
        return event_type
    return UNKNOWN_EVENT_TYPE


def install_metrics(app: Flask) -> None:
    """Count and time every request, and serve ``GET /metrics``.

    /metrics is a plain Flask route, so it stays out of the OpenAPI document.
    """
    for event_type in (*EVENT_TYPES, NO_EVENT_TYPE):
        for outcome in OUTCOMES:
            # Series that exist at zero let rate() see the first event.
            OPENLINEAGE_EVENTS.labels(event_type, outcome)
    app.before_request(_start_timer)
    app.after_request(_observe_request)
    app.add_url_rule("/metrics", "metrics", serve_metrics, methods=["GET"])


def serve_metrics() -> Response:
    """Return every metric in Prometheus' text exposition format."""
    registry = CollectorRegistry()
    if MULTIPROCESS:
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry.register(PROCESS_REGISTRY)
    registry.register(EngineCollector(current_app.extensions["fate_lineage"].resources))
    return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


def forget_worker(pid: int) -> None:
    """Drop a dead worker's live gauges. Its counters stay in the sums."""
    if MULTIPROCESS:
        mark_process_dead(pid)  # type: ignore[no-untyped-call]


def _start_timer() -> None:
    g.metrics_start = time.perf_counter()


def _observe_request(response: Response) -> Response:
    rule = request.url_rule
    endpoint = rule.rule if rule is not None else UNMATCHED_ENDPOINT
    method = request.method if request.method in METHODS else OTHER_METHOD
    HTTP_REQUESTS.labels(endpoint, method, str(response.status_code)).inc()
    started = g.get("metrics_start")
    if started is not None:
        HTTP_DURATION.labels(endpoint, method).observe(time.perf_counter() - started)
    return response


class EngineCollector:
    """Gauges of each engine's cores and memory, read from Redis per scrape.

    A failed read leaves out the engine gauges and sets
    ``fate_lineage_engine_read_success`` to 0, so /metrics still returns 200.
    """

    def __init__(self, accounting: ResourceAccounting) -> None:
        self.accounting = accounting

    def collect(self) -> Iterator[Metric]:
        gauges = {
            "cores": GaugeMetricFamily(
                "fate_lineage_engine_cores",
                "Total cores of the engine, after the overweight factor.",
                labels=["engine"],
            ),
            "remaining_cores": GaugeMetricFamily(
                "fate_lineage_engine_remaining_cores",
                "Cores that no job holds; never below 0.",
                labels=["engine"],
            ),
            "memory": GaugeMetricFamily(
                "fate_lineage_engine_memory_megabytes",
                "Total memory of the engine in megabytes; 0 when not accounted.",
                labels=["engine"],
            ),
            "remaining_memory": GaugeMetricFamily(
                "fate_lineage_engine_remaining_memory_megabytes",
                "Memory in megabytes that no job holds; never below 0.",
                labels=["engine"],
            ),
            "registered": GaugeMetricFamily(
                "fate_lineage_engine_registered",
                "1 when the engine's totals are in Redis, else 0.",
                labels=["engine"],
            ),
        }
        success = self._read_engines(gauges)
        if success:
            yield from gauges.values()
        yield GaugeMetricFamily(
            "fate_lineage_engine_read_success",
            "1 when this scrape read every engine from Redis, else 0.",
            value=1 if success else 0,
        )

    def _read_engines(self, gauges: dict[str, GaugeMetricFamily]) -> bool:
        for name in sorted(self.accounting.engines):
            try:
                row = self.accounting.store.engine(name)
                figures = engine_row(name, row) if row else None
            except BackendUnavailable as exc:
                _log_read_failure(exc.message)
                return False
            except (KeyError, ValueError) as exc:
                _log_read_failure(f"engine {name} has a malformed hash: {exc!r}")
                return False
            gauges["registered"].add_metric([name], 1 if figures else 0)
            if figures is None:
                continue
            gauges["cores"].add_metric([name], figures["f_cores"])
            gauges["remaining_cores"].add_metric([name], figures["f_remaining_cores"])
            gauges["memory"].add_metric([name], figures["f_memory"])
            gauges["remaining_memory"].add_metric([name], figures["f_remaining_memory"])
        _log_read_recovery()
        return True


# Whether the last scrape in this process failed to read the engines, so that
# an outage is logged once when it starts and once when it ends.
_read_failing = False


def _log_read_failure(reason: str) -> None:
    global _read_failing
    if not _read_failing:
        log.warning("metrics: reading the engines from Redis failed: %s", reason)
    _read_failing = True


def _log_read_recovery() -> None:
    global _read_failing
    if _read_failing:
        log.info("metrics: reading the engines from Redis works again")
    _read_failing = False
