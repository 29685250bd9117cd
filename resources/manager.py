"""Redis keys and Lua scripts of the resource accounting.

Every change of cores and memory is one Lua script, so it is atomic under any
number of callers. Every key carries the hash tag ``{resources}``, so all the
keys of a script sit in one Redis Cluster slot and the scripts run there
unchanged.

Keys, under a namespace (``fate_lineage`` by default):

- ``<ns>:{resources}:engine:<NAME>``: hash of an engine's totals, remaining
  cores and memory, size and times.
- ``<ns>:{resources}:job:<job_id>``: hash of a job's allocation: engine,
  in-use flag, apply time, each party's share and what its tasks use.
- ``<ns>:{resources}:in_use``: sorted set of jobs holding resources, by apply
  time (epoch ms).
- ``<ns>:{resources}:leases``: sorted set of the same jobs by lease expiry
  (epoch ms).
"""

from __future__ import annotations

import contextlib
import functools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources as package_files
from typing import TYPE_CHECKING, Any, cast

import redis

from fate_lineage.errors import BackendUnavailable
from fate_lineage.resources.connection import BACKEND

if TYPE_CHECKING:
    from redis.commands.core import Script

    from fate_lineage.resources.demand import EngineTotals, PartyDemand

SCRIPTS = (
    "register_engine",
    "apply_job",
    "return_job",
    "renew_lease",
    "apply_task",
    "return_task",
)

# Status codes that the scripts return; their headers describe each one.
APPLIED = 1
UNCHANGED = 0
NOT_ENOUGH = -1
LEASE_RENEWED = -1
NO_ENGINE = -2
PARTY_UNKNOWN = -2
JOB_NOT_IN_USE = -1
SHARE_TOO_SMALL = -3
OTHER_ENGINE = -3


@functools.cache
def load_lua(name: str) -> str:
    """Return the text of ``resources/<name>.lua``."""
    return (package_files.files(__package__) / f"{name}.lua").read_text("utf-8")


class ResourceKeys:
    """Key names under one namespace, all in the ``{resources}`` slot."""

    def __init__(self, namespace: str) -> None:
        self.base = f"{namespace}:{{resources}}"
        self.in_use = f"{self.base}:in_use"
        self.leases = f"{self.base}:leases"

    def engine(self, name: str) -> str:
        return f"{self.base}:engine:{name}"

    def job(self, job_id: str) -> str:
        return f"{self.base}:job:{job_id}"


@dataclass(frozen=True)
class EngineChange:
    """Figures of one engine before and after registration."""

    created: bool
    old_cores: int
    old_remaining_cores: int
    remaining_cores: int
    old_memory: int
    old_remaining_memory: int
    remaining_memory: int


@dataclass(frozen=True)
class Outcome:
    """A script's status code and the two figures it returned with it."""

    status: int
    cores: int
    memory: int


@dataclass(frozen=True)
class TaskOutcome:
    """apply_task.lua's status, the party's free share, and one task's size."""

    status: int
    free_cores: int
    free_memory: int
    task_cores: int
    task_memory: int


class ResourceStore:
    """Typed calls of the Lua scripts, and reads of the resource keys."""

    def __init__(self, client: redis.Redis, namespace: str) -> None:
        self.client = client
        self.keys = ResourceKeys(namespace)
        # register_script only hashes the text; Redis loads a script on its
        # first call and again after a restart, through EVALSHA's fallback.
        self._scripts: dict[str, Script] = {
            name: client.register_script(load_lua(name)) for name in SCRIPTS
        }

    def register_engine(self, totals: EngineTotals, now: int) -> EngineChange:
        config = {"cores_per_node": totals.cores_per_node, "nodes": totals.nodes}
        if totals.memory_per_node:
            config["memory_per_node"] = totals.memory_per_node
        reply = self._run(
            "register_engine",
            [self.keys.engine(totals.name)],
            [
                totals.cores,
                totals.memory,
                totals.nodes,
                totals.cores_per_node,
                totals.memory_per_node,
                totals.entrance,
                json.dumps(config),
                now,
            ],
        )
        return EngineChange(bool(reply[0]), *(int(value) for value in reply[1:]))

    def apply(
        self,
        job_id: str,
        engine: str,
        parties: tuple[PartyDemand, ...],
        now: int,
        lease_expiry: int,
    ) -> Outcome:
        """Run apply_job.lua; the outcome's figures are the engine's remaining."""
        listed = [
            {
                "role": party.role,
                "party_id": party.party_id,
                "cores": party.cores,
                "memory": party.memory,
                "task_cores": party.task_cores,
                "task_memory": party.task_memory,
            }
            for party in parties
        ]
        reply = self._run(
            "apply_job",
            self._job_keys(engine, job_id),
            [
                job_id,
                engine,
                now,
                lease_expiry,
                json.dumps(listed),
                sum(party.cores for party in parties),
                sum(party.memory for party in parties),
            ],
        )
        return Outcome(*(int(value) for value in reply))

    def give_back(
        self, job_id: str, engine: str, now: int, deadline: int = 0
    ) -> Outcome:
        """Run return_job.lua; the outcome's figures are what came back.

        With a ``deadline`` (epoch ms), only a lease that expires at or
        before it is returned, which lets the reaper race a heartbeat safely.
        """
        reply = self._run(
            "return_job",
            self._job_keys(engine, job_id),
            [job_id, engine, now, deadline],
        )
        return Outcome(*(int(value) for value in reply))

    def renew(self, job_id: str, lease_expiry: int) -> bool:
        keys = [self.keys.job(job_id), self.keys.leases]
        return bool(self._run("renew_lease", keys, [job_id, lease_expiry]))

    def apply_task(self, job_id: str, party: str, task: str) -> TaskOutcome:
        reply = self._run("apply_task", [self.keys.job(job_id)], [party, task])
        return TaskOutcome(*(int(value) for value in reply))

    def return_task(self, job_id: str, party: str, task: str) -> Outcome:
        reply = self._run("return_task", [self.keys.job(job_id)], [party, task])
        return Outcome(*(int(value) for value in reply))

    def engine(self, name: str) -> dict[str, str]:
        """Return the engine's hash; empty when it is not registered."""
        with translate_errors():
            return self.client.hgetall(self.keys.engine(name))  # type: ignore[return-value]

    def allocation(self, job_id: str) -> dict[str, str]:
        """Return the job's hash; empty when the job never applied."""
        with translate_errors():
            return self.client.hgetall(self.keys.job(job_id))  # type: ignore[return-value]

    def jobs_in_use(self) -> list[dict[str, str]]:
        """Return the hash of every job holding resources, oldest first."""
        with translate_errors():
            job_ids = cast(list[str], self.client.zrange(self.keys.in_use, 0, -1))
            pipeline = self.client.pipeline(transaction=False)
            for job_id in job_ids:
                pipeline.hgetall(self.keys.job(job_id))
            return [held for held in pipeline.execute() if held]

    def forget(self, job_id: str) -> None:
        """Drop a job from the in-use and lease sets; its hash is gone."""
        with translate_errors():
            self.client.zrem(self.keys.in_use, job_id)
            self.client.zrem(self.keys.leases, job_id)

    def expired_leases(self, now: int, limit: int) -> list[str]:
        """Return up to ``limit`` job ids whose lease expired at ``now``."""
        with translate_errors():
            found = self.client.zrangebyscore(
                self.keys.leases, "-inf", now, start=0, num=limit
            )
        return list(found)  # type: ignore[arg-type]

    def _job_keys(self, engine: str, job_id: str) -> list[str]:
        return [
            self.keys.engine(engine),
            self.keys.job(job_id),
            self.keys.in_use,
            self.keys.leases,
        ]

    def _run(self, name: str, keys: list[str], args: list[Any]) -> Any:
        with translate_errors():
            return self._scripts[name](keys=keys, args=args)


@contextlib.contextmanager
def translate_errors() -> Iterator[None]:
    """Turn a Redis outage into BackendUnavailable, as the graph layer does."""
    try:
        yield
    # Beside outages, Redis returns errors such as BUSY (a long script) or OOM
    # (maxmemory). None is the caller's fault, and each may pass.
    except redis.RedisError as exc:
        raise BackendUnavailable(BACKEND, str(exc).rstrip(".")) from exc
