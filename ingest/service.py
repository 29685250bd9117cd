"""Ingest OpenLineage events: validate, map, and write them to the graph."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fate_lineage.errors import BackendUnavailable, InvalidInput
from fate_lineage.ingest.changes import Changes
from fate_lineage.ingest.mapping import MAX_EDGES_PER_EVENT, job_id_of, map_event
from fate_lineage.ingest.validation import DATASET_EVENT, RUN_EVENT, validate_event

if TYPE_CHECKING:
    from fate_lineage.graph.openlineage import OpenLineageRepository

log = logging.getLogger(__name__)

# A batch with more events is rejected whole, which bounds the memory and
# the time one request takes.
MAX_BATCH_EVENTS = 1000


@dataclass
class BatchResult:
    """Counts of one batch and, for each failed event, its index and reason."""

    received: int
    succeeded: int = 0
    failures: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "received": self.received,
            "succeeded": self.succeeded,
            "failed": len(self.failures),
            "failures": self.failures,
        }


class OpenLineageIngest:
    def __init__(self, repository: OpenLineageRepository) -> None:
        self.repository = repository

    def ingest(self, event: Any) -> dict[str, Any]:
        """Record one event and return what it named."""
        kind = validate_event(event)
        self.repository.record(map_event(event, kind))
        summary = describe(event, kind)
        log.info(
            "openlineage %s %s recorded: job %s run %s",
            kind,
            summary.get("event_type", ""),
            summary.get("job_id", "-"),
            summary.get("run_id", "-"),
        )
        return summary

    def ingest_batch(self, events: Any) -> BatchResult:
        """Record every valid event of a list; report the others by index.

        Valid events are merged in memory and written in transactions of at
        most MAX_EDGES_PER_EVENT edges. Replaying events is harmless, so a
        batch cut short by a backend failure can be sent again whole.
        """
        if not isinstance(events, list):
            raise InvalidInput(
                "a batch must be a JSON array of OpenLineage events, "
                f"got {type(events).__name__}"
            )
        if len(events) > MAX_BATCH_EVENTS:
            raise InvalidInput(
                f"the batch has {len(events)} events, more than the "
                f"{MAX_BATCH_EVENTS} one batch may carry; split it"
            )
        result = BatchResult(received=len(events))
        pending: list[tuple[int, Changes]] = []
        pending_edges = 0
        for index, event in enumerate(events):
            try:
                changes = map_event(event, validate_event(event))
            except InvalidInput as exc:
                result.failures.append({"index": index, "retmsg": exc.message})
                continue
            if pending_edges + changes.edge_count() > MAX_EDGES_PER_EVENT:
                self._write(pending, result)
                pending, pending_edges = [], 0
            pending.append((index, changes))
            pending_edges += changes.edge_count()
        self._write(pending, result)
        result.failures.sort(key=lambda failure: failure["index"])
        log.info(
            "openlineage batch: %d received, %d recorded, %d rejected",
            result.received,
            result.succeeded,
            len(result.failures),
        )
        return result

    def _write(self, pending: list[tuple[int, Changes]], result: BatchResult) -> None:
        """Write events merged in one transaction.

        When Neo4j rejects the data, each event is written on its own, so
        that only the rejected ones fail.
        """
        if not pending:
            return
        merged = Changes()
        for _, changes in pending:
            merged.absorb(changes)
        try:
            self._record(merged, result)
        except InvalidInput as exc:
            if len(pending) == 1:
                index = pending[0][0]
                log.warning(
                    "openlineage batch event %d rejected: %s", index, exc.message
                )
                result.failures.append({"index": index, "retmsg": exc.message})
                return
            log.warning(
                "openlineage batch: Neo4j rejected %d merged events (%s); "
                "writing them one by one",
                len(pending),
                exc.message,
            )
            for index, changes in pending:
                self._write([(index, changes)], result)
            return
        result.succeeded += len(pending)

    def _record(self, changes: Changes, result: BatchResult) -> None:
        try:
            self.repository.record(changes)
        except BackendUnavailable as exc:
            raise BackendUnavailable(
                exc.backend,
                f"the write failed after {result.succeeded} of the batch's "
                f"{result.received} events were recorded; sending the whole "
                "batch again is safe",
            ) from exc


def describe(event: dict[str, Any], kind: str) -> dict[str, Any]:
    """Return the keys an event names, for the reply to its sender."""
    if kind == DATASET_EVENT:
        dataset = event["dataset"]
        return {
            "kind": kind,
            "tables": [{"namespace": dataset["namespace"], "name": dataset["name"]}],
        }
    job = event["job"]
    summary: dict[str, Any] = {
        "kind": kind,
        "job_id": job_id_of(job["namespace"], job["name"]),
    }
    if kind == RUN_EVENT:
        summary["run_id"] = event["run"]["runId"]
        summary["event_type"] = event.get("eventType", "OTHER")
    summary["inputs"] = len(event.get("inputs", []))
    summary["outputs"] = len(event.get("outputs", []))
    return summary
