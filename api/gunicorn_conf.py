"""gunicorn settings: ``gunicorn --config python:fate_lineage.api.gunicorn_conf``.

The bind address comes from the service settings. Workers and threads can be
changed with gunicorn's own GUNICORN_CMD_ARGS, e.g. ``--workers 4``.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from neo4j.exceptions import Neo4jError

from fate_lineage.api import metrics_dir

# prometheus_client chooses its multiprocess mode when it is first imported,
# which the app's modules below do, so the folder is set before them.
os.environ[metrics_dir.METRICS_DIR_VARIABLE] = metrics_dir.choose_metrics_dir()

from fate_lineage.api import logs, metrics
from fate_lineage.api.app import connect_backends
from fate_lineage.conf import load_settings
from fate_lineage.errors import LineageError
from fate_lineage.resources.reaper import start_reaper

_settings = load_settings()

bind = f"{_settings.service.host}:{_settings.service.http_port}"
worker_class = "gthread"
workers = 2
threads = 4
timeout = 60
# Request ids in every error and access line, as text or JSON lines.
logger_class = logs.LOGGER_CLASSES[_settings.logging.format]
access_log_format = logs.ACCESS_LOG_FORMAT
# FATE Flow's clients sign with an APP_KEY header, and gunicorn 22 and later
# drop header names with an underscore unless header_map maps them. The mapping
# is on only when keys are configured; APP_KEY is covered by the signature.
header_map = "dangerous" if _settings.authentication.enabled else "drop"


def on_starting(server: Any) -> None:
    """Route logs to gunicorn's error log, apply the Neo4j schema, register engines.

    All three happen in the master before workers fork, so every worker
    inherits the handlers and none of them races another to do the rest.
    """
    _log_to_gunicorn_error_log(server)
    backends = None
    try:
        backends = connect_backends(_settings)
        backends.distribution.check_settings()
        backends.graph.apply_schema()
        backends.resources.register_engines()
    except LineageError as exc:
        server.log.error("API not started: %s", exc.message)
        raise SystemExit(1) from exc
    except Neo4jError as exc:
        server.log.error(
            "API not started: applying the Neo4j schema failed with %s: %s",
            exc.code,
            exc.message,
        )
        raise SystemExit(1) from exc
    finally:
        if backends is not None:
            backends.graph.close()


def post_worker_init(worker: Any) -> None:
    """Register the engines again and start the reaper in each worker.

    A reload (SIGHUP) starts new workers with a reread settings file but
    skips on_starting, so workers register too. A repeat with equal sizes
    changes nothing.
    """
    backends = worker.wsgi.extensions["fate_lineage"]
    try:
        backends.resources.register_engines()
    except LineageError as exc:
        worker.log.error("engines not registered by this worker: %s", exc.message)
    settings = backends.settings
    start_reaper(backends.resources, settings.resource_manager.reap_interval_seconds)


def when_ready(server: Any) -> None:
    """Create or empty the metrics folder before the first worker starts.

    This runs in the master after --daemon has forked it, so the folder is
    made by the process that deletes it in on_exit. Workers load the app, and
    so write the first metric values, only after this (preload_app is off).
    """
    metrics_dir.prepare_metrics_dir(os.environ[metrics_dir.METRICS_DIR_VARIABLE])


def child_exit(server: Any, worker: Any) -> None:
    """Let the metrics forget a worker that exited."""
    metrics.forget_worker(worker.pid)


def on_exit(server: Any) -> None:
    """Delete the metrics folder unless PROMETHEUS_MULTIPROC_DIR named it."""
    metrics_dir.remove_metrics_dir(os.environ[metrics_dir.METRICS_DIR_VARIABLE])


def _log_to_gunicorn_error_log(server: Any) -> None:
    # Under --daemon, stderr goes nowhere, so the service's own loggers and the
    # Neo4j driver's retry warnings share gunicorn's error log handlers.
    for name, level in (("fate_lineage", logging.INFO), ("neo4j", logging.WARNING)):
        logger = logging.getLogger(name)
        logger.setLevel(level)
        for handler in server.log.error_log.handlers:
            logger.addHandler(handler)
