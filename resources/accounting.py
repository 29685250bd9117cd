"""Resource accounting: FATE Flow's apply, return and query on Redis.

Rules come from ``demand`` (what a job needs) and the Lua scripts behind
``ResourceStore`` (atomic changes). This module ties them to the jobs in the
lineage graph and records each apply, return, reap and rejection on the job
node.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from fate_lineage.errors import (
    BackendMisconfigured,
    BackendUnavailable,
    Conflict,
    InsufficientResources,
    NotFound,
)
from fate_lineage.resources import manager
from fate_lineage.resources.demand import (
    EngineTotals,
    JobDemand,
    NeverFits,
    PartyDemand,
    check_fits,
    engine_totals,
    job_demand,
)
from fate_lineage.tracking import dsl
from fate_lineage.tracking.recording import END_STATUSES, job_not_found
from fate_lineage.tracking.timefmt import now_ms

if TYPE_CHECKING:
    from fate_lineage.conf import Settings
    from fate_lineage.graph.lineage import LineageRepository, Properties
    from fate_lineage.resources.manager import ResourceStore

log = logging.getLogger(__name__)

# Expired leases the reaper handles per pass; the rest wait for the next one.
REAP_BATCH = 100


class ResourceAccounting:
    """Apply, return, renew and reap job allocations; query engines."""

    def __init__(
        self, store: ResourceStore, repository: LineageRepository, settings: Settings
    ) -> None:
        self.store = store
        self.repository = repository
        self.defaults = settings.job_defaults
        self.default_engine = settings.default_computing_engine
        self.lease_ms = int(settings.resource_manager.lease_seconds * 1000)
        self.engines: dict[str, EngineTotals] = {
            name: engine_totals(name, nodes, self.defaults)
            for name, nodes in settings.engines.items()
        }

    def register_engines(self) -> None:
        """Load each engine's totals; a changed size shifts remaining, logged."""
        for totals in self.engines.values():
            change = self.store.register_engine(totals, now_ms())
            if change.created:
                log.info(
                    "engine %s registered: %d cores, %d MB memory",
                    totals.name,
                    totals.cores,
                    totals.memory,
                )
            elif (change.old_cores, change.old_memory) != (totals.cores, totals.memory):
                log.warning(
                    "engine %s resized: cores %d -> %d (remaining %d -> %d), "
                    "memory %d -> %d MB (remaining %d -> %d)",
                    totals.name,
                    change.old_cores,
                    totals.cores,
                    change.old_remaining_cores,
                    change.remaining_cores,
                    change.old_memory,
                    totals.memory,
                    change.old_remaining_memory,
                    change.remaining_memory,
                )

    def check_new_job(self, job_id: str, roles: Any, runtime_conf: Any) -> JobDemand:
        """Return the job's demand, or raise NeverFits when it can never run."""
        demand = job_demand(
            job_id,
            runtime_conf,
            roles,
            self.engines,
            self.default_engine,
            self.defaults,
        )
        try:
            check_fits(demand, self.engines[demand.engine], self.defaults)
        except NeverFits as exc:
            log.warning("job %s rejected: %s", job_id, exc.message)
            raise
        return demand

    def apply(self, job_id: str) -> dict[str, Any]:
        """Take the job's resources for all its parties, or raise."""
        job = self._job(job_id)
        if job["status"] in END_STATUSES:
            raise Conflict(
                f"job {job_id} is {job['status']}, so it needs no resources",
                details={"job_id": job_id, "status": job["status"]},
            )
        demand = self.check_new_job(
            job_id, json.loads(job["roles"]), json.loads(job["runtime_conf"])
        )
        now = now_ms()
        outcome = self._run_apply(job_id, demand, now)

        if outcome.status == manager.NOT_ENOUGH:
            self._record(job_id, "rejected", demand.cores, demand.memory, now)
            raise _insufficient(job_id, demand, outcome)
        applied = outcome.status == manager.APPLIED
        if applied:
            log.info(
                "job %s applied %d cores and %d MB on %s",
                job_id,
                demand.cores,
                demand.memory,
                demand.engine,
            )
            self._record(job_id, "applied", demand.cores, demand.memory, now)
            self._return_if_ended(job_id)
        return {
            "job_id": job_id,
            "engine_name": demand.engine,
            "applied": applied,
            "cores": demand.cores,
            "memory": demand.memory,
            "parties": [_party_view(party) for party in demand.parties],
            "remaining_cores": outcome.cores,
            "remaining_memory": outcome.memory,
        }

    def _run_apply(self, job_id: str, demand: JobDemand, now: int) -> manager.Outcome:
        """Run the apply script, registering the engines again if Redis lost them."""
        outcome = self.store.apply(
            job_id, demand.engine, demand.parties, now, now + self.lease_ms
        )
        if outcome.status == manager.NO_ENGINE:
            self._register_lost_engines()
            outcome = self.store.apply(
                job_id, demand.engine, demand.parties, now, now + self.lease_ms
            )
        return outcome

    def give_back(
        self, job_id: str, force: bool = False
    ) -> tuple[list[dict[str, Any]], str]:
        """Return the job's resources in FATE Flow's response shape, and its status.

        A running job's resources come back only with ``force``, because its
        remaining tasks would lose them.
        """
        job = self._job(job_id)
        held = self.store.allocation(job_id).get("in_use") == "1"
        if job["status"] == "running" and held and not force:
            raise Conflict(
                f"job {job_id} is running; returning its resources would leave "
                "its remaining tasks without any. End the job first, or return "
                "them anyway with force (flow resource return -j JOB_ID --force)",
                details={"job_id": job_id, "status": "running"},
            )
        return self._give_back(job, "returned"), job["status"]

    def _return_if_ended(self, job_id: str) -> None:
        """Give back what was just applied if the job ended meanwhile.

        A job's end returns its resources, but an end that commits between
        apply's status check and its script finds nothing to return yet.
        """
        job = self._job(job_id)
        if job["status"] in END_STATUSES:
            self._give_back(job, "returned")
            raise Conflict(
                f"job {job_id} became {job['status']} while its resources were "
                "applied, so they were returned at once",
                details={"job_id": job_id, "status": job["status"]},
            )

    def _register_lost_engines(self) -> None:
        """Register the engines again after Redis lost them, such as a flush."""
        log.warning(
            "an engine is missing in Redis (its data was lost or flushed); "
            "registering the engines of %s again",
            "service_conf.yaml",
        )
        self.register_engines()

    def return_ended_job(self, job: Properties) -> None:
        """Return an ended job's resources at once; a job holding none is fine."""
        try:
            self._give_back(job, "returned")
        except BackendUnavailable as exc:
            # NOTE: the lease then expires and the reaper returns them later.
            log.warning(
                "job %s ended but its resources stay held until its lease expires: %s",
                job["job_id"],
                exc.message,
            )

    def renew(self, job_id: str) -> dict[str, Any]:
        """Extend a job's lease by lease_seconds (the job's heartbeat).

        A job that has no resources, or has ended, gets 409, so that a job
        runner learns that its resources are gone.
        """
        job = self._job(job_id)
        if job["status"] in END_STATUSES:
            self._give_back(job, "returned")
            raise Conflict(
                f"job {job_id} is {job['status']}, so it keeps no resources",
                details={"job_id": job_id, "status": job["status"]},
            )
        expiry = now_ms() + self.lease_ms
        if not self.store.renew(job_id, expiry):
            raise Conflict(
                f"job {job_id} has no resources: they were returned or reaped. "
                f"Apply again (flow resource apply -j {job_id}) before its tasks run.",
                details={"job_id": job_id},
            )
        return {"job_id": job_id, "renewed": True, "lease_expiry": expiry}

    def reap(self) -> list[str]:
        """Return the resources of jobs whose lease expired; return their ids."""
        now = now_ms()
        reaped = []
        for job_id in self.store.expired_leases(now, REAP_BATCH):
            engine = self.store.allocation(job_id).get("engine")
            if engine is None:
                # The job's hash is gone (evicted or deleted by hand), so
                # only its set entries are left to drop.
                self.store.forget(job_id)
                continue
            outcome = self.store.give_back(job_id, engine, now, deadline=now)
            if outcome.status == manager.APPLIED:
                log.warning(
                    "job %s lease expired: reaped %d cores and %d MB on %s",
                    job_id,
                    outcome.cores,
                    outcome.memory,
                    engine,
                )
                self._record(job_id, "reaped", outcome.cores, outcome.memory, now)
                reaped.append(job_id)
        return reaped

    def apply_task(
        self, job_id: str, component: str, role: str, party_id: str
    ) -> dict[str, Any]:
        """Take one task's cores and memory from its party's share of the job.

        A task's size was fixed when the job applied, so later setting
        changes do not alter a running job.
        """
        party, task = self._task_names(job_id, component, role, party_id)
        outcome = self.store.apply_task(job_id, party, task)
        if outcome.status == manager.JOB_NOT_IN_USE:
            raise Conflict(
                f"job {job_id} has no resources; apply for the job first "
                f"(flow resource apply -j {job_id})",
                details={"job_id": job_id},
            )
        if outcome.status == manager.PARTY_UNKNOWN:
            raise NotFound(
                f"job {job_id} has no share for {role} {party_id}; its parties "
                "are listed by flow resource query",
                details={"job_id": job_id, "role": role, "party_id": party_id},
            )
        if outcome.status == manager.SHARE_TOO_SMALL:
            raise InsufficientResources(
                f"the share of {role} {party_id} in job {job_id} has "
                f"{outcome.free_cores} cores and {outcome.free_memory} MB free, "
                f"and task {component} requests {outcome.task_cores} cores and "
                f"{outcome.task_memory} MB; return a finished task's share first",
                details={
                    "free_cores": outcome.free_cores,
                    "free_memory": outcome.free_memory,
                },
            )
        return {
            "job_id": job_id,
            "component_name": component,
            "role": role,
            "party_id": party_id,
            "applied": outcome.status == manager.APPLIED,
            "cores": outcome.task_cores,
            "memory": outcome.task_memory,
            "free_cores": outcome.free_cores,
            "free_memory": outcome.free_memory,
        }

    def return_task(
        self, job_id: str, component: str, role: str, party_id: str
    ) -> dict[str, Any]:
        """Give one task's cores and memory back to its party's share."""
        party, task = self._task_names(job_id, component, role, party_id)
        outcome = self.store.return_task(job_id, party, task)
        return {
            "job_id": job_id,
            "component_name": component,
            "role": role,
            "party_id": party_id,
            "returned": outcome.status == manager.APPLIED,
            "cores": outcome.cores,
            "memory": outcome.memory,
        }

    def _task_names(
        self, job_id: str, component: str, role: str, party_id: str
    ) -> tuple[str, str]:
        """Return the party and task names the task scripts use, or raise."""
        job = self._job(job_id)
        plan = dsl.parse_job(json.loads(job["dsl"]), json.loads(job["runtime_conf"]))
        if component not in {spec.name for spec in plan.components}:
            raise NotFound(
                f"job {job_id} has no component {component!r}",
                details={"job_id": job_id, "component_name": component},
            )
        return f"{role}/{party_id}", f"{component}/{role}/{party_id}"

    def query(self, engine_name: str | None = None) -> dict[str, Any]:
        """Return FATE Flow's computing_engine_resource and use_resource_job."""
        name = (engine_name or self.default_engine).upper()
        if not name.isascii() or name not in self.engines:
            raise NotFound(
                f"no computing engine {name}; the engines are "
                f"{', '.join(sorted(self.engines))}",
                details={"engine_name": name},
            )
        row = self.store.engine(name)
        if not row:
            raise BackendMisconfigured(
                "redis",
                f"engine {name} is not registered in Redis; restart the service",
            )
        in_use = [
            {
                "job_id": held["job_id"],
                "role": party["role"],
                "party_id": party["party_id"],
                "core": party["cores"],
                "memory": party["memory"],
            }
            for held in self.store.jobs_in_use()
            if held.get("engine") == name
            for party in json.loads(held["parties"])
        ]
        return {
            "computing_engine_resource": engine_row(name, row),
            "use_resource_job": in_use,
        }

    def _give_back(self, job: Properties, event: str) -> list[dict[str, Any]]:
        job_id = job["job_id"]
        held = self.store.allocation(job_id)
        in_use = held.get("in_use") == "1"
        returned = False
        if in_use:
            now = now_ms()
            outcome = self.store.give_back(job_id, held["engine"], now)
            returned = outcome.status == manager.APPLIED
            if returned:
                log.info(
                    "job %s returned %d cores and %d MB on %s",
                    job_id,
                    outcome.cores,
                    outcome.memory,
                    held["engine"],
                )
                self._record(job_id, event, outcome.cores, outcome.memory, now)
        return [
            {
                "job_id": job_id,
                "role": role,
                "party_id": party_id,
                "resource_in_use": in_use,
                "resource_return_status": returned,
            }
            for role, party_id in _parties_of(job, held)
        ]

    def _job(self, job_id: str) -> Properties:
        job = self.repository.find_job(job_id)
        if job is None:
            raise job_not_found(job_id)
        return job

    def _record(
        self, job_id: str, event: str, cores: int, memory: int, now: int
    ) -> None:
        """Record a resource event on the job node; an outage only logs it."""
        try:
            self.repository.record_resource_event(job_id, event, cores, memory, now)
        except BackendUnavailable as exc:
            log.warning(
                "job %s: %s (%d cores, %d MB) not recorded on the job node: %s",
                job_id,
                event,
                cores,
                memory,
                exc.message,
            )


def engine_row(name: str, row: dict[str, str]) -> dict[str, Any]:
    """Return an engine hash in FATE Flow's t_engine_registry row shape."""
    return {
        "f_engine_type": "computing",
        "f_engine_name": name,
        "f_engine_entrance": row["entrance"],
        "f_engine_config": json.loads(row["config"]),
        "f_cores": int(row["total_cores"]),
        "f_memory": int(row["total_memory"]),
        # Below zero after a shrink under what jobs hold; shown as none left.
        "f_remaining_cores": max(0, int(row["remaining_cores"])),
        "f_remaining_memory": max(0, int(row["remaining_memory"])),
        "f_nodes": int(row["nodes"]),
        "f_create_time": int(row["create_time"]),
        "f_update_time": int(row["update_time"]),
        "f_create_date": _date(int(row["create_time"])),
        "f_update_date": _date(int(row["update_time"])),
    }


def _date(epoch_ms: int) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


def _parties_of(job: Properties, held: dict[str, str]) -> list[tuple[str, str]]:
    if held.get("parties"):
        return [(p["role"], p["party_id"]) for p in json.loads(held["parties"])]
    roles: dict[str, list[str]] = json.loads(job["roles"])
    return [(role, party_id) for role, parties in roles.items() for party_id in parties]


def _party_view(party: PartyDemand) -> dict[str, Any]:
    return {
        "role": party.role,
        "party_id": party.party_id,
        "cores": party.cores,
        "memory": party.memory,
    }


def _insufficient(
    job_id: str, demand: JobDemand, outcome: manager.Outcome
) -> InsufficientResources:
    asked = ", ".join(
        f"{party.role} {party.party_id}: {party.cores} cores, {party.memory} MB"
        for party in demand.parties
    )
    remaining_cores, remaining_memory = max(0, outcome.cores), max(0, outcome.memory)
    return InsufficientResources(
        f"not enough resources on {demand.engine} for job {job_id} now: it "
        f"requests {demand.cores} cores and {demand.memory} MB ({asked}), and "
        f"{remaining_cores} cores and {remaining_memory} MB remain. Apply again "
        "when other jobs have returned theirs (flow resource query shows them).",
        details={
            "job_id": job_id,
            "engine_name": demand.engine,
            "requested": [_party_view(party) for party in demand.parties],
            "requested_cores": demand.cores,
            "requested_memory": demand.memory,
            "remaining_cores": remaining_cores,
            "remaining_memory": remaining_memory,
        },
    )
