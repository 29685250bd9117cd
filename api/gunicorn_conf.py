"""gunicorn settings: ``gunicorn --config python:fate_lineage.api.gunicorn_conf``.

The bind address comes from the service settings. Workers and threads can be
changed with gunicorn's own GUNICORN_CMD_ARGS, e.g. ``--workers 4``.
"""

from __future__ import annotations

import logging
from typing import Any

from fate_lineage.conf import load_settings
from fate_lineage.graph.driver import Neo4jGraph

_settings = load_settings()

bind = f"{_settings.service.host}:{_settings.service.http_port}"
worker_class = "gthread"
workers = 2
threads = 4
timeout = 60


def on_starting(server: Any) -> None:
    """Apply the Neo4j schema once in the master, before workers fork."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    graph = Neo4jGraph(_settings.neo4j)
    try:
        graph.apply_schema()
    finally:
        graph.close()
