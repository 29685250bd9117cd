"""The Flask application factory."""

from __future__ import annotations

import atexit
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import Flask, request
from flask_restx import Api
from werkzeug.exceptions import RequestEntityTooLarge

from fate_lineage import __version__
from fate_lineage.api import (
    dependency,
    health,
    jobs,
    noop,
    openlineage,
    resource,
    tables,
    tracking,
)
from fate_lineage.api.auth import install_authentication
from fate_lineage.api.errors import register_error_handlers
from fate_lineage.api.logs import install_request_ids
from fate_lineage.api.metrics import install_metrics
from fate_lineage.api.models import document_responses
from fate_lineage.conf import Settings, load_settings
from fate_lineage.conf.settings import redact_url
from fate_lineage.distribution.service import DependencyService
from fate_lineage.graph.archives import ArchiveRepository
from fate_lineage.graph.driver import Neo4jGraph
from fate_lineage.graph.lineage import LineageRepository
from fate_lineage.graph.openlineage import OpenLineageRepository
from fate_lineage.hooks import ServiceJobHooks
from fate_lineage.ingest.service import OpenLineageIngest
from fate_lineage.resources.accounting import ResourceAccounting
from fate_lineage.resources.connection import open_redis
from fate_lineage.resources.manager import ResourceStore
from fate_lineage.tracking.queries import Queries
from fate_lineage.tracking.recording import Recorder

if TYPE_CHECKING:
    import redis

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class Backends:
    """The clients one app instance shares between its requests."""

    settings: Settings
    graph: Neo4jGraph
    redis: redis.Redis
    recorder: Recorder
    queries: Queries
    resources: ResourceAccounting
    distribution: DependencyService
    openlineage: OpenLineageIngest


class LineageFlask(Flask):
    """Flask whose errors are logged once, by the API's error handler."""

    def log_exception(self, exc_info: Any) -> None:
        # flask-restx calls this for every 5xx, after render_error has
        # already logged the error (with a traceback when it was unexpected).
        return None


def create_app(settings: Settings | None = None) -> Flask:
    """Build the app; the backends are connected lazily, on first use."""
    settings = settings if settings is not None else load_settings()
    app = LineageFlask(__name__)
    # flask-restx appends route suggestions to 404 messages; the envelope's
    # retmsg should stay one plain sentence.
    app.config["RESTX_ERROR_404_HELP"] = False
    app.config["ERROR_INCLUDE_MESSAGE"] = False
    app.config["RESTX_MASK_SWAGGER"] = False
    # Keep the envelope's keys in FATE Flow's order on Flask's own responses.
    app.json.sort_keys = False  # type: ignore[attr-defined]
    # Werkzeug rejects a larger body with 413 before the app reads it. The
    # largest legitimate body is a job's DSL and conf, a few hundred KB.
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.before_request(_reject_long_chunked_body)

    api = Api(
        app,
        version=__version__,
        title="fate-lineage",
        description="Table lineage and resource accounting for FATE and "
        "OpenLineage producers. Every response is "
        '{"retcode", "retmsg", "data"}.',
        doc="/docs/",
        catch_all_404s=True,
    )
    # Probes sit at the root, where orchestrators look for them.
    api.add_namespace(health.ns, path="/")
    api.add_namespace(tables.data_ns, path="/v1/data")
    api.add_namespace(tables.ns, path="/v1/table")
    api.add_namespace(jobs.ns, path="/v1/job")
    api.add_namespace(tracking.ns, path="/v1/tracking")
    api.add_namespace(resource.ns, path="/v1/resource")
    api.add_namespace(dependency.ns, path="/v1/dependency")
    # The OpenLineage HTTP transport posts to /api/v1/lineage by default.
    api.add_namespace(openlineage.ns, path="/api/v1/lineage")
    document_responses(api)
    register_error_handlers(app, api)
    # Operator hooks: X-Request-Id on every request and GET /metrics.
    install_request_ids(app)
    install_metrics(app)
    app.register_blueprint(noop.blueprint)

    backends = connect_backends(settings)
    app.extensions["fate_lineage"] = backends
    app.extensions["fate_lineage.api"] = api
    # Signed requests; after request ids and metrics, so that a 401 has both.
    install_authentication(app)
    atexit.register(backends.graph.close)
    log.info(
        "app created from %s: neo4j %s, redis %s",
        settings.source,
        settings.neo4j.uri,
        redact_url(settings.redis.url),
    )
    return app


def _reject_long_chunked_body() -> None:
    """Reject a chunked body that reaches MAX_BODY_BYTES with 413.

    Werkzeug checks the limit against Content-Length only. A chunked body has
    none, and it arrives cut at the limit, which would read as broken JSON.
    """
    if request.content_length is None and len(request.get_data(cache=True)) >= (
        MAX_BODY_BYTES
    ):
        raise RequestEntityTooLarge()


def connect_backends(settings: Settings) -> Backends:
    """Create the clients and services; nothing connects until first use."""
    graph = Neo4jGraph(settings.neo4j)
    client = open_redis(settings.redis)
    repository = LineageRepository(graph)
    store = ResourceStore(client, settings.resource_manager.key_namespace)
    accounting = ResourceAccounting(store, repository, settings)
    distribution = DependencyService(settings, ArchiveRepository(graph), client)
    recorder = Recorder(repository, ServiceJobHooks(accounting, distribution))
    return Backends(
        settings=settings,
        graph=graph,
        redis=client,
        recorder=recorder,
        queries=Queries(repository, settings.lineage),
        resources=accounting,
        distribution=distribution,
        openlineage=OpenLineageIngest(OpenLineageRepository(graph)),
    )


def api_of(app: Flask) -> Api:
    """Return the Flask-RESTX Api that ``create_app`` attached to ``app``."""
    api: Api = app.extensions["fate_lineage.api"]
    return api
