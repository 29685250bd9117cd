"""Answer provenance questions: sources, reading jobs, lineage, table lists."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fate_lineage.errors import NotFound
from fate_lineage.tracking.sources import FetchHop, Walk, find_sources, walk

if TYPE_CHECKING:
    from fate_lineage.conf import LineageSettings
    from fate_lineage.graph.lineage import LineageRepository, Properties
    from fate_lineage.tracking.dsl import TableRef

DIRECTIONS = ("up", "down", "both")
# The properties each lineage node carries; find_parent_edges.cypher and
# find_child_edges.cypher return the same ones.
NODE_PROPERTIES = ("namespace", "name", "origin", "row_count", "recorded_at")
# Jobs are compared by create_time, in epoch milliseconds.
_END_OF_TIME = 2**62


class Queries:
    """Read-only questions about tables, over the lineage repository."""

    def __init__(self, repository: LineageRepository, limits: LineageSettings):
        self.repository = repository
        self.limits = limits

    def table_info(self, table: TableRef) -> Properties:
        _, properties = self._find(table)
        return properties

    def tracking_source(self, table: TableRef) -> tuple[list[dict[str, str]], bool]:
        """Return FATE's parent and source pairs, and whether the search ended.

        The search goes up to ``lineage.max_depth`` hops and
        ``lineage.max_node_budget`` tables; beyond them, the farthest tables
        reached count as sources and the second value is False.
        """
        with self.repository.snapshot() as view:
            start_id, properties = _found(table, view.find_table(table))
            upward = walk(
                start_id,
                properties,
                lambda ids: view.parent_hops(ids, _END_OF_TIME),
                self.limits.max_depth,
                self.limits.max_node_budget,
            )
            _expand_leaves(upward, lambda ids: view.parent_hops(ids, _END_OF_TIME))
        pairs, complete = find_sources(upward)
        items = []
        for pair in pairs:
            parent = upward.tables[pair.parent_id]
            source = upward.tables[pair.source_id]
            items.append(
                {
                    "parent_table_name": parent["name"],
                    "parent_table_namespace": parent["namespace"],
                    "source_table_name": source["name"],
                    "source_table_namespace": source["namespace"],
                }
            )
        return items, complete and not upward.truncated

    def tracking_job(self, table: TableRef) -> dict[str, Any]:
        """Return FATE's ``{"count", "job"}``: the reading jobs, newest first."""
        self._find(table)
        jobs = self.repository.reading_jobs(table, 0, _END_OF_TIME)
        return {"count": len(jobs), "job": [job["job_id"] for job in jobs]}

    def table_jobs(
        self,
        table: TableRef,
        page: int,
        page_size: int,
        start_time: int | None,
        end_time: int | None,
    ) -> dict[str, Any]:
        """Return one page of the jobs that read a table, created in a time range."""
        self._find(table)
        start = start_time if start_time is not None else 0
        end = end_time if end_time is not None else _END_OF_TIME
        skip = (page - 1) * page_size
        return {
            "count": self.repository.count_reading_jobs(table, start, end),
            "page": page,
            "page_size": page_size,
            "jobs": self.repository.reading_jobs(table, start, end, skip, page_size),
        }

    def list_tables(self, prefix: str, page: int, page_size: int) -> dict[str, Any]:
        count, tables = self.repository.tables_by_namespace_prefix(
            prefix, (page - 1) * page_size, page_size
        )
        return {"count": count, "page": page, "page_size": page_size, "tables": tables}

    def lineage(
        self,
        table: TableRef,
        direction: str,
        depth: int,
        node_budget: int,
        as_of: int | None,
    ) -> dict[str, Any]:
        """Return the tables and edges within ``depth`` hops of a table."""
        cutoff = as_of if as_of is not None else _END_OF_TIME
        with self.repository.snapshot() as view:
            start_id, properties = _found(table, view.find_table(table))
            _check_recorded_before(table, properties, cutoff)
            walks = []
            budget = node_budget
            if direction in ("up", "both"):
                up = walk(
                    start_id,
                    properties,
                    lambda ids: view.parent_hops(ids, cutoff),
                    depth,
                    budget,
                )
                walks.append(("up", up))
                budget -= len(up.tables) - 1
            if direction in ("down", "both"):
                down = walk(
                    start_id,
                    properties,
                    lambda ids: view.child_hops(ids, cutoff),
                    depth,
                    budget,
                )
                walks.append(("down", down))
        return _lineage_answer(table, direction, depth, node_budget, as_of, walks)

    def _find(self, table: TableRef) -> tuple[str, Properties]:
        return _found(table, self.repository.find_table(table))


def _expand_leaves(upward: Walk, fetch: FetchHop) -> None:
    """Mark the tables at the depth limit expanded when none has a parent.

    Without this, a root that lies exactly max_depth hops up would be
    reported as a search that stopped at the limit.
    """
    if upward.truncated:
        return
    leaves = [table_id for table_id in upward.tables if table_id not in upward.expanded]
    if leaves and not fetch(leaves):
        upward.expanded.update(leaves)


def _found(
    table: TableRef, found: tuple[str, Properties] | None
) -> tuple[str, Properties]:
    if found is None:
        raise NotFound(
            f"no found table: table name {table.name}, table namespace "
            f"{table.namespace}. Check both values; `flow table list` shows "
            "recorded tables.",
            details={"table_name": table.name, "namespace": table.namespace},
        )
    return found


def _check_recorded_before(
    table: TableRef, properties: Properties, cutoff: int
) -> None:
    if properties.get("recorded_at", 0) > cutoff:
        raise NotFound(
            f"table {table.namespace}/{table.name} was recorded at "
            f"{properties['recorded_at']}, after as_of {cutoff} (both epoch "
            "milliseconds); give a later as_of, in epoch milliseconds or ISO 8601",
            details={"table_name": table.name, "namespace": table.namespace},
        )


def _lineage_answer(
    table: TableRef,
    direction: str,
    depth: int,
    node_budget: int,
    as_of: int | None,
    walks: list[tuple[str, Walk]],
) -> dict[str, Any]:
    nodes: dict[str, dict[str, Any]] = {}
    edges: dict[tuple[Any, ...], dict[str, Any]] = {}
    for side, result in walks:
        for table_id, properties in result.tables.items():
            hops = result.hops_away[table_id]
            if table_id not in nodes:
                nodes[table_id] = {
                    **{key: properties.get(key) for key in NODE_PROPERTIES},
                    "side": "self" if hops == 0 else side,
                    "hops": hops,
                }
        for hop in result.edges:
            child, parent = (
                (hop.from_id, hop.to_id) if side == "up" else (hop.to_id, hop.from_id)
            )
            # In a cycle, the up and down walks can both reach one edge.
            key = (child, parent, *sorted(hop.via.items()))
            edges[key] = {
                "child": _key_of(nodes[child]),
                "parent": _key_of(nodes[parent]),
                **hop.via,
            }
    return {
        "table": {"namespace": table.namespace, "name": table.name},
        "direction": direction,
        "depth": depth,
        "node_budget": node_budget,
        "as_of": as_of,
        "truncated": any(result.truncated for _, result in walks),
        "nodes": list(nodes.values()),
        "edges": list(edges.values()),
    }


def _key_of(node: dict[str, Any]) -> dict[str, str]:
    return {"namespace": node["namespace"], "name": node["name"]}
