"""gunicorn settings: ``gunicorn --config python:fate_lineage.api.gunicorn_conf``.

The bind address comes from the service settings. Workers and threads can be
changed with gunicorn's own GUNICORN_CMD_ARGS, e.g. ``--workers 4``.
"""

from __future__ import annotations

import logging
from typing import Any

from neo4j.exceptions import Neo4jError

from fate_lineage.conf import load_settings
from fate_lineage.errors import LineageError
from fate_lineage.graph.driver import Neo4jGraph

_settings = load_settings()

bind = f"{_settings.service.host}:{_settings.service.http_port}"
worker_class = "gthread"
workers = 2
threads = 4
timeout = 60


def on_starting(server: Any) -> None:
    """Route logs to gunicorn's error log, then apply the Neo4j schema once.

    Both happen in the master before workers fork, so every worker inherits
    the handlers and none of them races another to create the schema.
    """
    _log_to_gunicorn_error_log(server)
    graph = Neo4jGraph(_settings.neo4j)
    try:
        graph.apply_schema()
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
        graph.close()


def _log_to_gunicorn_error_log(server: Any) -> None:
    # Under --daemon, stderr goes nowhere, so the service's own loggers and the
    # Neo4j driver's retry warnings share gunicorn's error log handlers.
    for name, level in (("fate_lineage", logging.INFO), ("neo4j", logging.WARNING)):
        logger = logging.getLogger(name)
        logger.setLevel(level)
        for handler in server.log.error_log.handlers:
            logger.addHandler(handler)
