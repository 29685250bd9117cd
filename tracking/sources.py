"""Walk the lineage graph hop by hop, and find the source tables of a table.

The walk keeps a visited set, so each table is expanded once however many
paths lead to it: diamonds and cycles cost one visit per table, not one per
path. Fetching a hop is the caller's job, so these rules run without Neo4j.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Hop:
    """One edge reached from the frontier: ``from_id`` to ``to_id``.

    Ids are Neo4j element ids. ``table`` contains the properties of the table at
    ``to_id``, and ``via`` the job, component, role and party of the task
    behind the edge.
    """

    from_id: str
    to_id: str
    table: dict[str, Any]
    via: dict[str, Any]


@dataclass
class Walk:
    """The tables and edges reached from one start table in one direction."""

    start_id: str
    tables: dict[str, dict[str, Any]]
    hops_away: dict[str, int]
    edges: list[Hop] = field(default_factory=list)
    # Tables whose next hop was fetched. The others sit at the depth or
    # budget limit, so whether more lies beyond them is unknown.
    expanded: set[str] = field(default_factory=set)
    truncated: bool = False


FetchHop = Callable[[list[str]], list[Hop]]


def walk(
    start_id: str,
    start_table: dict[str, Any],
    fetch: FetchHop,
    depth: int,
    node_budget: int,
) -> Walk:
    """Expand breadth first up to ``depth`` hops and ``node_budget`` tables.

    When the next level has more new tables than the budget leaves room
    for, the walk keeps the first ones in (namespace, name) order, marks
    itself truncated and stops.
    """
    result = Walk(start_id, {start_id: start_table}, {start_id: 0})
    frontier = [start_id]
    for level in range(1, depth + 1):
        if not frontier or result.truncated:
            break
        hops = fetch(frontier)
        result.expanded.update(frontier)
        frontier = _admit_new_tables(result, hops, level, node_budget)
        result.edges.extend(hop for hop in hops if hop.to_id in result.tables)
    return result


def _admit_new_tables(
    result: Walk, hops: list[Hop], level: int, node_budget: int
) -> list[str]:
    new = {hop.to_id: hop.table for hop in hops if hop.to_id not in result.tables}
    ordered = sorted(new, key=lambda table_id: _sort_key(new[table_id]))
    room = max(node_budget - len(result.tables), 0)
    if len(ordered) > room:
        ordered = ordered[:room]
        result.truncated = True
    for table_id in ordered:
        result.tables[table_id] = new[table_id]
        result.hops_away[table_id] = level
    return ordered


def _sort_key(table: dict[str, Any]) -> tuple[str, str]:
    return (str(table.get("namespace", "")), str(table.get("name", "")))


@dataclass(frozen=True)
class SourcePair:
    """One parent of the start table and one source reached through it."""

    parent_id: str
    source_id: str


def find_sources(upward: Walk) -> tuple[list[SourcePair], bool]:
    """Pair each parent of the start table with each of its sources.

    A source is a table with no parent. A parent with none above it is its
    own source, and so is a parent whose ancestors only form a cycle. A
    table left unexpanded at the walk's limits counts as a source, and the
    second value is then False, because the pairs may be incomplete.
    """
    parents_of: dict[str, set[str]] = {}
    for hop in upward.edges:
        parents_of.setdefault(hop.from_id, set()).add(hop.to_id)

    pairs = []
    complete = True
    for parent_id in _by_key(upward, parents_of.get(upward.start_id, set())):
        reached = _reachable(parent_id, parents_of)
        sources = [
            table_id
            for table_id in reached
            if table_id not in upward.expanded or not parents_of.get(table_id)
        ]
        if any(table_id not in upward.expanded for table_id in reached):
            complete = False
        for source_id in _by_key(upward, set(sources) or {parent_id}):
            pairs.append(SourcePair(parent_id, source_id))
    return pairs, complete


def _reachable(start_id: str, parents_of: dict[str, set[str]]) -> set[str]:
    seen = {start_id}
    stack = [start_id]
    while stack:
        for parent_id in parents_of.get(stack.pop(), set()):
            if parent_id not in seen:
                seen.add(parent_id)
                stack.append(parent_id)
    return seen


def _by_key(upward: Walk, table_ids: set[str]) -> list[str]:
    return sorted(table_ids, key=lambda table_id: _sort_key(upward.tables[table_id]))
