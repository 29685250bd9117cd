"""Graph changes made by OpenLineage events, merged per key.

Every value here merges the way the Cypher statements merge it into stored
nodes: the earliest event time, the latest event time, the status with the
greatest key, and for each facet the version with the latest event time.
Each merge is commutative and idempotent, so a stream of events gives the
same graph however often and in whatever order it arrives, and a batch can
be merged in memory first and written in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Facets = dict[str, "Versioned"]
TableKey = tuple[str, str]
RunKey = tuple[str, str, str]  # job_id, component (the job's name), run id
ColumnKey = tuple[str, str, str]  # namespace, table name, column name


@dataclass(frozen=True, order=True)
class Versioned:
    """A value with the event time that sent it; the greater pair wins."""

    time_us: int
    text: str


@dataclass
class Seen:
    """When something was first and last mentioned, in ms since the epoch."""

    first_ms: int
    last_ms: int

    def absorb(self, other: Seen) -> None:
        self.first_ms = min(self.first_ms, other.first_ms)
        self.last_ms = max(self.last_ms, other.last_ms)


@dataclass
class Status:
    """A job's or run's status as far as the events tell.

    ``key`` orders competing statuses; None means no event gave a status.
    ``start_ms`` is the earliest start and ``end_ms`` the latest end.
    """

    key: str | None = None
    status: str | None = None
    start_ms: int | None = None
    end_ms: int | None = None

    def absorb(self, other: Status) -> None:
        if other.key is not None and (self.key is None or other.key > self.key):
            self.key, self.status = other.key, other.status
        self.start_ms = _earliest(self.start_ms, other.start_ms)
        self.end_ms = _latest(self.end_ms, other.end_ms)


@dataclass
class Node:
    """A table, job or run: when it was seen, its status and its facets."""

    seen: Seen
    status: Status = field(default_factory=Status)
    facets: Facets = field(default_factory=dict)
    properties: dict[str, Any] = field(default_factory=dict)

    def absorb(self, other: Node) -> None:
        self.seen.absorb(other.seen)
        self.status.absorb(other.status)
        merge_facets(self.facets, other.facets)
        self.properties.update(other.properties)


@dataclass
class Edge:
    """An edge: the earliest event time that named it, and its facets."""

    first_ms: int
    facets: Facets = field(default_factory=dict)

    def absorb(self, other: Edge) -> None:
        self.first_ms = min(self.first_ms, other.first_ms)
        merge_facets(self.facets, other.facets)


@dataclass
class Changes:
    """Everything one or more events write, each item keyed as in the graph."""

    tables: dict[TableKey, Node] = field(default_factory=dict)
    jobs: dict[str, Node] = field(default_factory=dict)
    runs: dict[RunKey, Node] = field(default_factory=dict)
    parents: dict[tuple[RunKey, RunKey], Edge] = field(default_factory=dict)
    reads: dict[tuple[RunKey, TableKey], Edge] = field(default_factory=dict)
    writes: dict[tuple[RunKey, TableKey], Edge] = field(default_factory=dict)
    derived: dict[tuple[RunKey, TableKey, TableKey], Edge] = field(default_factory=dict)
    columns: dict[ColumnKey, Edge] = field(default_factory=dict)
    column_edges: dict[tuple[RunKey, ColumnKey, ColumnKey], Edge] = field(
        default_factory=dict
    )

    def absorb(self, other: Changes) -> None:
        for name in (
            "tables",
            "jobs",
            "runs",
            "parents",
            "reads",
            "writes",
            "derived",
            "columns",
            "column_edges",
        ):
            mine, theirs = getattr(self, name), getattr(other, name)
            for key, item in theirs.items():
                if key in mine:
                    mine[key].absorb(item)
                else:
                    mine[key] = item

    def edge_count(self) -> int:
        """Return how many edges a write of these changes merges."""
        return sum(
            len(group)
            for group in (
                self.parents,
                self.reads,
                self.writes,
                self.derived,
                self.column_edges,
            )
        )


def merge_facets(into: Facets, other: Facets) -> None:
    for name, version in other.items():
        if name not in into or version > into[name]:
            into[name] = version


def _earliest(a: int | None, b: int | None) -> int | None:
    known = [value for value in (a, b) if value is not None]
    return min(known, default=None)


def _latest(a: int | None, b: int | None) -> int | None:
    known = [value for value in (a, b) if value is not None]
    return max(known, default=None)
