"""Open, check and close the Neo4j driver.

One :class:`Neo4jGraph` per process owns one driver, which pools connections
and is safe to share between threads. Driver errors that mean "the server is
not there" become :class:`BackendUnavailable`, so every caller reports an
outage the same way.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

import neo4j
from neo4j.exceptions import (
    ConfigurationError,
    DriverError,
    Neo4jError,
    ServiceUnavailable,
)

from fate_lineage import cypher
from fate_lineage.errors import BackendMisconfigured, BackendUnavailable

if TYPE_CHECKING:
    from fate_lineage.conf import Neo4jSettings

log = logging.getLogger(__name__)

BACKEND = "neo4j"

T = TypeVar("T")

SCHEMA_STATEMENTS = (
    "create_table_key_constraint",
    "create_job_id_constraint",
    "create_task_key_constraint",
    "create_job_status_index",
    "create_table_namespace_index",
    "create_archive_key_constraint",
    "create_archive_type_index",
    "create_column_key_constraint",
)


class Neo4jGraph:
    """The process's Neo4j driver and the database it works in."""

    def __init__(self, settings: Neo4jSettings) -> None:
        self.uri = settings.uri
        self.database = settings.database
        try:
            self.driver = neo4j.GraphDatabase.driver(
                settings.uri,
                auth=(settings.user, settings.password),
                connection_timeout=settings.connection_timeout,
                connection_acquisition_timeout=settings.connection_timeout,
                # The driver retries a transaction that failed with a retryable
                # error for at most this long, so a request during an outage
                # gets 503 after about that time instead of waiting for Neo4j.
                max_transaction_retry_time=settings.max_transaction_retry_time,
                # Planner hints such as "label does not exist yet" are normal on
                # an empty graph and would fill the service log.
                notifications_min_severity="OFF",
            )
        except (ConfigurationError, ValueError) as exc:
            raise BackendMisconfigured(
                BACKEND, f"the driver rejected neo4j.uri {settings.uri!r}: {exc}"
            ) from exc
        self._user = settings.user

    def close(self) -> None:
        self.driver.close()

    def ping(self) -> dict[str, Any]:
        """Return the server's name, version and edition, or raise if down.

        It runs in an auto-commit transaction, which the driver does not
        retry, so a refused connection is reported at once. A server that
        accepts and then stops responding can block it: callers that need a
        deadline, such as ``/readyz``, wait on it from another thread.
        """
        with (
            self._translate_errors(),
            self.driver.session(database=self.database) as session,
        ):
            record = session.run(cypher.load("find_server_version")).single()
        return dict(record) if record is not None else {}

    def read(self, statement: str, **parameters: Any) -> list[neo4j.Record]:
        """Run a named read statement and return its records."""
        return self._execute(statement, neo4j.RoutingControl.READ, parameters)

    def write(self, statement: str, **parameters: Any) -> list[neo4j.Record]:
        """Run a named write statement in a managed, retried transaction."""
        return self._execute(statement, neo4j.RoutingControl.WRITE, parameters)

    def transaction(self, work: Callable[[Statements], T]) -> T:
        """Run ``work`` in one managed write transaction, all or nothing.

        The driver retries the whole function on transient failures, so
        ``work`` must be idempotent; an exception from it rolls back.
        """
        with (
            self._translate_errors(),
            self.driver.session(database=self.database) as session,
        ):
            return session.execute_write(lambda tx: work(Statements(tx)))

    @contextlib.contextmanager
    def reading(self) -> Iterator[Statements]:
        """Yield statements that share one read transaction.

        A multi-hop walk then reads one consistent graph and pays one round
        trip per statement instead of opening a transaction for each.
        """
        with (
            self._translate_errors(),
            self.driver.session(
                database=self.database, default_access_mode=neo4j.READ_ACCESS
            ) as session,
            session.begin_transaction() as tx,
        ):
            yield Statements(tx)

    def apply_schema(self) -> None:
        """Create the constraints and indexes; running it again changes nothing."""
        for name in SCHEMA_STATEMENTS:
            self.write(name)
        log.info(
            "neo4j schema applied at %s: %s", self.uri, ", ".join(SCHEMA_STATEMENTS)
        )

    # NOTE: unlike ping(), read() and write() have no deadline of their own,
    # so a server that freezes mid-query blocks the caller until it recovers.
    def _execute(
        self,
        statement: str,
        routing: neo4j.RoutingControl,
        parameters: dict[str, Any],
    ) -> list[neo4j.Record]:
        with self._translate_errors():
            result = self.driver.execute_query(
                cypher.load(statement),
                parameters,
                database_=self.database,
                routing_=routing,
            )
        return list(result.records)

    @contextlib.contextmanager
    def _translate_errors(self) -> Iterator[None]:
        try:
            yield
        except (ServiceUnavailable, DriverError) as exc:
            raise BackendUnavailable(BACKEND, f"{self.uri}: {_one_line(exc)}") from exc
        except Neo4jError as exc:
            # A wrong password and the rate limit after repeated failed
            # logins both carry a Neo.ClientError.Security code.
            code = exc.code or ""
            if code.startswith("Neo.ClientError.Security."):
                raise BackendMisconfigured(
                    BACKEND,
                    f"login as {self._user!r} at {self.uri} was rejected "
                    f"({code}); check neo4j.user and neo4j.password",
                ) from exc
            if code == "Neo.ClientError.Database.DatabaseNotFound":
                raise BackendMisconfigured(
                    BACKEND,
                    f"{self.uri} has no database {self.database!r}; check "
                    "neo4j.database (Neo4j Community serves only one, `neo4j`)",
                ) from exc
            if exc.is_retryable():
                raise BackendUnavailable(
                    BACKEND, f"{self.uri}: {_one_line(exc)}"
                ) from exc
            raise


class Statements:
    """Named statements run inside one transaction."""

    def __init__(self, tx: neo4j.ManagedTransaction | neo4j.Transaction) -> None:
        self._tx = tx

    def run(self, statement: str, **parameters: Any) -> list[neo4j.Record]:
        return list(self._tx.run(cypher.load(statement), parameters))


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split()).rstrip(".")
