"""Write the changes of OpenLineage events into the lineage graph."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import neo4j

from fate_lineage.errors import InvalidInput

if TYPE_CHECKING:
    from fate_lineage.graph.driver import Neo4jGraph, Statements
    from fate_lineage.ingest.changes import Changes, Edge, Facets, Node, RunKey

Row = dict[str, Any]


class OpenLineageRepository:
    def __init__(self, graph: Neo4jGraph) -> None:
        self.graph = graph

    def record(self, changes: Changes) -> None:
        """Merge every node, edge and facet of ``changes`` in one transaction.

        Parents come before the edges that need them: tables, jobs and runs
        first, then the edges between them, then the facets by element id.
        """
        tables = [
            _node_row(node, namespace=key[0], name=key[1])
            for key, node in changes.tables.items()
        ]
        jobs = [
            _node_row(node, job_id=job_id, properties=node.properties)
            for job_id, node in changes.jobs.items()
        ]
        runs = [_node_row(node, **_run(key)) for key, node in changes.runs.items()]
        parents = [
            _edge_row(edge, **_run(child), **_run(parent, prefix="parent_"))
            for (child, parent), edge in changes.parents.items()
        ]
        reads = [
            _edge_row(edge, **_run(run), namespace=table[0], name=table[1])
            for (run, table), edge in changes.reads.items()
        ]
        writes = [
            _edge_row(edge, **_run(run), namespace=table[0], name=table[1])
            for (run, table), edge in changes.writes.items()
        ]
        derived = [
            _edge_row(
                edge,
                **_run(run),
                child_namespace=child[0],
                child_name=child[1],
                parent_namespace=parent[0],
                parent_name=parent[1],
            )
            for (run, child, parent), edge in changes.derived.items()
        ]
        columns = [
            _edge_row(edge, namespace=key[0], table=key[1], name=key[2])
            for key, edge in changes.columns.items()
        ]
        column_edges = [
            _edge_row(
                edge,
                **_run(run),
                **_column(output, "output_"),
                **_column(source, "input_"),
            )
            for (run, output, source), edge in changes.column_edges.items()
        ]

        def work(tx: Statements) -> None:
            rows = _RowStatements(tx)
            node_facets = [
                *rows.merge("merge_openlineage_tables", tables),
                *rows.merge("merge_openlineage_jobs", jobs),
                *rows.merge("merge_openlineage_runs", runs),
            ]
            rows.run("merge_openlineage_parents", parents)
            edge_facets = [
                *rows.merge("merge_openlineage_inputs", reads),
                *rows.merge("merge_openlineage_outputs", writes),
            ]
            rows.run("merge_openlineage_derived", derived)
            rows.run("merge_openlineage_columns", columns)
            edge_facets += rows.merge("merge_openlineage_column_edges", column_edges)
            rows.run("set_openlineage_node_facets", node_facets)
            rows.run("set_openlineage_edge_facets", edge_facets)

        try:
            self.graph.transaction(work)
        except neo4j.exceptions.ClientError as exc:
            # Schema errors mean the data itself was refused, such as a name
            # that cannot be a property key. Validation keeps the known ones
            # out; other client errors are faults of this service.
            if not (exc.code or "").startswith("Neo.ClientError.Schema."):
                raise
            raise InvalidInput(
                f"Neo4j rejected the event's data with {exc.code}: {exc.message}"
            ) from exc


class _RowStatements:
    """Run statements that take a list of ``$rows``, skipping empty lists."""

    def __init__(self, tx: Statements) -> None:
        self._tx = tx

    def run(self, statement: str, rows: list[Row]) -> None:
        if rows:
            self._tx.run(statement, rows=rows)

    def merge(self, statement: str, rows: list[Row]) -> list[Row]:
        """Run a merge statement; return the facets of each merged node or edge.

        The statement returns each row's index and element id, so facets are
        set by id afterwards and are not sent twice.
        """
        if not rows:
            return []
        sent = [
            {**{k: v for k, v in row.items() if k != "facets"}, "index": index}
            for index, row in enumerate(rows)
        ]
        records = self._tx.run(statement, rows=sent)
        return [
            {"id": record["id"], "facets": rows[record["index"]]["facets"]}
            for record in records
            if rows[record["index"]]["facets"]
        ]


def _node_row(node: Node, **key: Any) -> Row:
    status = node.status
    return {
        **key,
        "first": node.seen.first_ms,
        "last": node.seen.last_ms,
        "status_key": status.key,
        "status": status.status,
        "start": status.start_ms,
        "end": status.end_ms,
        "facets": _facet_rows(node.facets),
    }


def _edge_row(edge: Edge, **key: Any) -> Row:
    return {**key, "first": edge.first_ms, "facets": _facet_rows(edge.facets)}


def _facet_rows(facets: Facets) -> list[Row]:
    return [
        {"name": name, "time": version.time_us, "json": version.text}
        for name, version in sorted(facets.items())
    ]


def _run(key: RunKey, prefix: str = "") -> Row:
    job_id, component, run_id = key
    return {
        f"{prefix}job_id": job_id,
        f"{prefix}component": component,
        f"{prefix}run_id": run_id,
    }


def _column(key: tuple[str, str, str], prefix: str) -> Row:
    namespace, table, name = key
    return {
        f"{prefix}namespace": namespace,
        f"{prefix}table": table,
        f"{prefix}name": name,
    }
