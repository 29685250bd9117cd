"""Dependency archives in the lineage graph: (:Archive) and (:Job)-[:RAN_WITH]->."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fate_lineage.graph.driver import Neo4jGraph
    from fate_lineage.graph.lineage import Properties


class ArchiveRepository:
    def __init__(self, graph: Neo4jGraph) -> None:
        self.graph = graph

    def record(
        self, kind: str, version: str, path: str, properties: Properties, now: int
    ) -> Properties:
        """Merge the archive node of one type, version and place; return it."""
        records = self.graph.write(
            "merge_archive",
            type=kind,
            version=version,
            path=path,
            properties=properties,
            now=now,
        )
        archive: Properties = records[0]["archive"]
        return archive

    def find(self, kind: str, version: str, path: str) -> Properties | None:
        records = self.graph.read("find_archive", type=kind, version=version, path=path)
        return records[0]["archive"] if records else None

    def of_types(self, kinds: tuple[str, ...]) -> list[Properties]:
        """Return every archive of the given types, newest first per type."""
        records = self.graph.read("find_archives", types=list(kinds))
        return [record["archive"] for record in records]

    def link_job(self, job_id: str, archives: list[Properties], now: int) -> None:
        keys = [{"type": a["type"], "version": a["version"]} for a in archives]
        self.graph.write("merge_job_archives", job_id=job_id, archives=keys, now=now)

    def job_archives(self, job_id: str) -> list[Properties]:
        records = self.graph.read("find_job_archives", job_id=job_id)
        return [record["archive"] for record in records]
