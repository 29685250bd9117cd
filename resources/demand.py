"""Compute the cores and memory a job requests, with FATE Flow 1.7's formulas.

Each party requests ``task_cores_per_node * task_nodes * task_parallelism``
cores, and memory alike, from the engine sizes in service_conf.yaml and the
job_parameters of the runtime conf. FATE Flow queues a job that can never fit
and lets it wait forever, but :func:`check_fits` rejects such a job when it is
submitted. Memory is in megabytes (MB) throughout, with 1 GB = 1024 MB.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, fields, replace
from fractions import Fraction
from typing import TYPE_CHECKING, Any, TypeVar

from fate_lineage.conf.schema import ENGINE_SECTIONS
from fate_lineage.errors import ConfigError, InvalidInput
from fate_lineage.tracking.json_fields import (
    describe,
    expect_object,
    expect_string,
    is_whole_number,
)
from fate_lineage.tracking.runtime_conf import parse_party_index

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from fate_lineage.conf.settings import EngineNodes, JobDefaults

SPARK = "SPARK"
# FATE Flow 1.7 charges the arbiter nothing on these engines.
FREE_ARBITER_ENGINES = frozenset({"STANDALONE", "EGGROLL"})
ARBITER = "arbiter"
# FATE Flow gives the arbiter 1 task core, whatever the job's task_cores.
ARBITER_TASK_CORES = 1
PROCESSORS_PER_NODE = "eggroll.session.processors.per.node"

_T = TypeVar("_T")
# Spark's memory strings: a number with an optional unit, "2g" or "512mb".
# Spark reads spark.executor.memory without a unit in MiB, so that is kept.
_MEMORY = re.compile(r"([0-9]+)(?:([kmgt])b?)?", re.IGNORECASE | re.ASCII)
_MEGABYTES_PER_UNIT = {"m": 1, "g": 1024, "t": 1024 * 1024}


class NeverFits(InvalidInput):
    """A job requests more than its engine could give it even when idle.

    Unlike InsufficientResources, waiting cannot help, so the job is rejected.
    """


@dataclass(frozen=True)
class EngineTotals:
    """Size of one computing engine after the overweight percents, memory in MB.

    ``memory_per_node`` 0 means the engine does not account memory.
    """

    name: str
    entrance: str
    cores_per_node: int
    memory_per_node: int
    nodes: int
    cores: int
    memory: int


@dataclass(frozen=True)
class PartyDemand:
    """Cores and memory (MB) that one party of a job requests.

    ``task_cores`` and ``task_memory`` are what one task takes from the party's
    allotment. The last three fields are the factors of ``cores``. A free
    arbiter has 0 in every number except ``task_nodes`` and ``task_parallelism``.
    """

    role: str
    party_id: str
    cores: int
    memory: int
    task_cores: int
    task_memory: int
    task_cores_per_node: int
    task_nodes: int
    task_parallelism: int


@dataclass(frozen=True)
class JobDemand:
    """Requests of every party of a job on one engine.

    Parties come in the order of the ``roles`` mapping given to job_demand.
    """

    job_id: str
    engine: str
    parties: tuple[PartyDemand, ...]

    @property
    def cores(self) -> int:
        return sum(party.cores for party in self.parties)

    @property
    def memory(self) -> int:
        return sum(party.memory for party in self.parties)


def engine_totals(name: str, nodes: EngineNodes, defaults: JobDefaults) -> EngineTotals:
    """Scale an engine's size by the overweight percents, rounding down."""
    if name not in ENGINE_SECTIONS:
        raise ValueError(
            f"unknown computing engine {name!r}. Use one of "
            f"{', '.join(ENGINE_SECTIONS)}."
        )
    cores = nodes.cores_per_node * nodes.nodes
    memory = nodes.memory_per_node * nodes.nodes
    return EngineTotals(
        name=name,
        entrance=ENGINE_SECTIONS[name][0],
        cores_per_node=nodes.cores_per_node,
        memory_per_node=nodes.memory_per_node,
        nodes=nodes.nodes,
        cores=_scale(cores, defaults.total_cores_overweight_percent),
        memory=_scale(memory, defaults.total_memory_overweight_percent),
    )


def _scale(amount: int, percent: float) -> int:
    # The percent is taken as the decimal written in the file, so that
    # 100 x 0.29 gives 29 and not float's 28.999... rounded down to 28.
    return math.floor(amount * Fraction(str(percent)))


# Parsing job_parameters.


@dataclass(frozen=True)
class _Parameters:
    """The job_parameters keys read here, each None where the conf sets none."""

    task_cores: int | None = None
    task_parallelism: int | None = None
    task_memory: int | None = None  # MB
    computing_engine: str | None = None  # upper case
    num_executors: int | None = None
    executor_cores: int | None = None
    executor_memory: int | None = None  # MB
    processors_per_node: int | None = None

    def overridden_by(self, other: _Parameters) -> _Parameters:
        """Return a copy with every key that ``other`` sets taken from it."""
        changes = {
            item.name: getattr(other, item.name)
            for item in fields(other)
            if getattr(other, item.name) is not None
        }
        return replace(self, **changes)


@dataclass(frozen=True)
class _RoleEntry:
    """One party index key under ``job_parameters.role.<role>``."""

    indexes: frozenset[int] | None  # None for "all"
    parameters: _Parameters
    path: str


def _parse_parameters(value: object, path: str) -> _Parameters:
    body = expect_object(value, path)
    spark_path = f"{path}.spark_run"
    spark_run = expect_object(body.get("spark_run", {}), spark_path)
    eggroll_path = f"{path}.eggroll_run"
    eggroll_run = expect_object(body.get("eggroll_run", {}), eggroll_path)
    return _Parameters(
        task_cores=_optional(body, "task_cores", path, _positive),
        task_parallelism=_optional(body, "task_parallelism", path, _positive),
        task_memory=_optional(body, "task_memory", path, _not_negative),
        computing_engine=_optional(body, "computing_engine", path, _engine_name),
        num_executors=_optional(spark_run, "num-executors", spark_path, _positive),
        executor_cores=_optional(spark_run, "executor-cores", spark_path, _positive),
        executor_memory=_optional(spark_run, "executor-memory", spark_path, _megabytes),
        processors_per_node=_optional(
            eggroll_run, PROCESSORS_PER_NODE, eggroll_path, _positive
        ),
    )


def _optional(
    body: Mapping[str, Any],
    key: str,
    path: str,
    parse: Callable[[object, str], _T],
) -> _T | None:
    if key not in body:
        return None
    return parse(body[key], f"{path}.{key}")


def _positive(value: object, path: str) -> int:
    if is_whole_number(value) and value > 0:
        return value
    raise InvalidInput(
        f"{path}: expected a whole number of at least 1, got {describe(value)}"
    )


def _not_negative(value: object, path: str) -> int:
    if is_whole_number(value) and value >= 0:
        return value
    raise InvalidInput(
        f"{path}: expected a whole number of at least 0, got {describe(value)}"
    )


def _engine_name(value: object, path: str) -> str:
    return expect_string(value, path).strip().upper()


def _megabytes(value: object, path: str) -> int:
    """Parse a Spark memory size, a number in MB or a string such as "2g"."""
    if is_whole_number(value):
        return _positive(value, path)
    match = _MEMORY.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None or int(match[1]) == 0:
        raise InvalidInput(
            f"{path}: expected a memory size above 0 such as 2048, "
            f'"512m" or "2g", got {describe(value)}'
        )
    amount, unit = int(match[1]), (match[2] or "m").lower()
    if unit == "k":
        # Round up, so that a small size never counts as no memory at all.
        return math.ceil(amount / 1024)
    return amount * _MEGABYTES_PER_UNIT[unit]


def _split_job_parameters(conf: Mapping[str, Any]) -> tuple[object, str, object]:
    """Return the common parameters, their path and the role parameters."""
    path = "conf.job_parameters"
    body = expect_object(conf.get("job_parameters", {}), path)
    if "common" not in body and "role" not in body:
        # A flat object applies to every party.
        return body, path, {}
    return body.get("common", {}), f"{path}.common", body.get("role", {})


def _parse_role_entries(
    value: object, roles: Mapping[str, Sequence[str]]
) -> dict[str, list[_RoleEntry]]:
    path = "conf.job_parameters.role"
    entries: dict[str, list[_RoleEntry]] = {}
    for role, by_index in expect_object(value, path).items():
        role_path = f"{path}.{role}"
        if role not in roles:
            raise InvalidInput(
                f"{role_path}: role {role} is not in conf.role. Add its parties "
                "there or remove these job parameters."
            )
        entries[role] = []
        for key, parameters in expect_object(by_index, role_path).items():
            entry_path = f"{role_path}.{key}"
            indexes = parse_party_index(key, len(roles[role]), entry_path)
            parsed = _parse_parameters(parameters, entry_path)
            entries[role].append(_RoleEntry(indexes, parsed, entry_path))
    return entries


def _select_engine(
    common: _Parameters,
    common_path: str,
    entries: Mapping[str, list[_RoleEntry]],
    engines: Mapping[str, EngineTotals],
    default_engine: str,
) -> EngineTotals:
    name = common.computing_engine or default_engine
    if name not in engines and common.computing_engine is None:
        raise ConfigError(f"the default computing engine {name} has no totals")
    if name not in engines:
        raise InvalidInput(
            f"{common_path}.computing_engine: {name} is not an engine of this "
            f"service. Use one of {', '.join(engines)}, in any letter case."
        )
    for role_entries in entries.values():
        for entry in role_entries:
            other = entry.parameters.computing_engine
            if other is not None and other != name:
                raise InvalidInput(
                    f"{entry.path}.computing_engine: {other} differs from the "
                    f"job's engine {name}. All parties of a job use one engine "
                    f"here, so set computing_engine in {common_path} only."
                )
    return engines[name]


# Demand.


def job_demand(
    job_id: str,
    runtime_conf: Mapping[str, Any],
    roles: Mapping[str, Sequence[str]],
    engines: Mapping[str, EngineTotals],
    default_engine: str,
    defaults: JobDefaults,
) -> JobDemand:
    """Compute each party's request from the conf's job_parameters.

    Role entries override the common parameters for the parties that their
    index selects ("0", "0|1" or "all"), in conf order, the last one winning.
    Keys of spark_run and eggroll_run override one by one. Unknown keys are
    ignored. An invalid value raises InvalidInput naming its JSON path, and a
    default engine missing from ``engines`` raises ConfigError.
    """
    common_value, common_path, role_value = _split_job_parameters(runtime_conf)
    common = _parse_parameters(common_value, common_path)
    entries = _parse_role_entries(role_value, roles)
    engine = _select_engine(common, common_path, entries, engines, default_engine)

    parties = []
    for role, party_ids in roles.items():
        for index, party_id in enumerate(party_ids):
            parameters = common
            for entry in entries.get(role, []):
                if entry.indexes is None or index in entry.indexes:
                    parameters = parameters.overridden_by(entry.parameters)
            demand = _party_demand(role, party_id, parameters, engine, defaults)
            parties.append(demand)
    return JobDemand(job_id=job_id, engine=engine.name, parties=tuple(parties))


def _party_demand(
    role: str,
    party_id: str,
    parameters: _Parameters,
    engine: EngineTotals,
    defaults: JobDefaults,
) -> PartyDemand:
    parallelism = parameters.task_parallelism or defaults.task_parallelism
    if role == ARBITER and engine.name in FREE_ARBITER_ENGINES:
        return PartyDemand(role, party_id, 0, 0, 0, 0, 0, engine.nodes, parallelism)

    task_nodes = engine.nodes
    override = parameters.processors_per_node
    if engine.name == SPARK:
        task_nodes = parameters.num_executors or engine.nodes
        override = parameters.executor_cores
    task_cores = parameters.task_cores or defaults.task_cores
    if role == ARBITER:
        task_cores = ARBITER_TASK_CORES
    cores_per_node = override or max(1, task_cores // task_nodes)

    memory_per_node = 0
    if engine.memory > 0:
        task_memory = parameters.task_memory
        if task_memory is None:
            task_memory = defaults.task_memory
        memory_per_node = task_memory // task_nodes
        if engine.name == SPARK and parameters.executor_memory is not None:
            memory_per_node = parameters.executor_memory

    cores_per_task = cores_per_node * task_nodes
    memory_per_task = memory_per_node * task_nodes
    return PartyDemand(
        role=role,
        party_id=party_id,
        cores=cores_per_task * parallelism,
        memory=memory_per_task * parallelism,
        task_cores=cores_per_task,
        task_memory=memory_per_task,
        task_cores_per_node=cores_per_node,
        task_nodes=task_nodes,
        task_parallelism=parallelism,
    )


# Fitting a job on its engine.


def check_fits(demand: JobDemand, engine: EngineTotals, defaults: JobDefaults) -> None:
    """Raise NeverFits if the job could not run even on an idle engine.

    The job's cores over all parties must stay within the engine's total and
    the per-job cap, ``floor(total cores * max_cores_percent_per_job)``. Its
    memory must stay within the engine's total when the engine accounts memory.
    """
    if demand.engine != engine.name:
        raise ValueError(
            f"job {demand.job_id} requests {demand.engine} but the totals are "
            f"of {engine.name}"
        )
    cap = _scale(engine.cores, defaults.max_cores_percent_per_job)
    over_cap = demand.cores > cap
    over_cores = demand.cores > engine.cores
    over_memory = engine.memory > 0 and demand.memory > engine.memory
    if not (over_cap or over_cores or over_memory):
        return

    over_cap_or_cores = over_cap or over_cores
    sentences = [f"Job {demand.job_id} can never run on {engine.name}."]
    if over_cap_or_cores:
        sentences.append(_cores_problem(demand, engine, defaults, cap, over_cores))
    if over_memory:
        sentences.append(_memory_problem(demand, engine))
    sentences.append(_parties_sentence(demand, engine))
    sentences.append(_fixes_sentence(engine, defaults, over_cap_or_cores, over_memory))
    details = _details(demand, engine, defaults, cap)
    raise NeverFits(" ".join(sentences), details=details)


def _cores_problem(
    demand: JobDemand,
    engine: EngineTotals,
    defaults: JobDefaults,
    cap: int,
    over_cores: bool,
) -> str:
    percent = defaults.max_cores_percent_per_job
    limits = [
        f"the per-job cap of {cap} cores, which is floor({engine.cores} total "
        f"cores x max_cores_percent_per_job {percent})"
    ]
    if over_cores:
        limits.append(f"the engine's total of {engine.cores} cores")
    return f"It requests {demand.cores} cores, over {' and over '.join(limits)}."


def _memory_problem(demand: JobDemand, engine: EngineTotals) -> str:
    return (
        f"It requests {demand.memory} MB of memory, over the engine's total "
        f"of {engine.memory} MB."
    )


def _parties_sentence(demand: JobDemand, engine: EngineTotals) -> str:
    """List each party's cores as task cores per node x task nodes x parallelism."""
    items = []
    for party in demand.parties:
        name = f"{party.role} {party.party_id}"
        if party.task_cores == 0:
            items.append(f"{name} is free on {engine.name}")
            continue
        item = (
            f"{name} requests {party.task_cores_per_node} x {party.task_nodes} x "
            f"{party.task_parallelism} = {party.cores} cores"
        )
        if engine.memory > 0:
            item += f" and {party.memory} MB"
        items.append(item)
    total = f"{demand.cores} cores"
    if engine.memory > 0:
        total += f" and {demand.memory} MB"
    return (
        "A party's cores are task cores per node x task nodes x task "
        f"parallelism: {'; '.join(items)}. The job requests {total} in all."
    )


def _fixes_sentence(
    engine: EngineTotals,
    defaults: JobDefaults,
    over_cap_or_cores: bool,
    over_memory: bool,
) -> str:
    """Name the settings that lower the request or raise the limits."""
    section, group = ENGINE_SECTIONS[engine.name]
    group_path = f"{section}.{group}"
    job_keys: list[str] = []
    service_keys: list[str] = []
    if over_cap_or_cores:
        job_keys += ["task_cores", "task_parallelism"]
        if engine.name == SPARK:
            job_keys += ["spark_run executor-cores", "spark_run num-executors"]
        else:
            job_keys.append(f"eggroll_run {PROCESSORS_PER_NODE}")
        service_keys += [f"{group_path}.cores_per_node", f"{group_path}.nodes"]
        service_keys.append("job_default_config.total_cores_overweight_percent")
        # The cap can be raised only up to 1, which is 100 % of the total.
        if defaults.max_cores_percent_per_job < 1:
            service_keys.append("job_default_config.max_cores_percent_per_job")
    if over_memory:
        job_keys += ["task_memory", "task_parallelism"]
        if engine.name == SPARK:
            job_keys += ["spark_run executor-memory", "spark_run num-executors"]
        service_keys += [f"{group_path}.memory_per_node", f"{group_path}.nodes"]
        service_keys.append("job_default_config.total_memory_overweight_percent")
    return (
        f"To fit, lower {_join_or(job_keys)} in the job_parameters of the "
        f"runtime conf, or raise {_join_or(service_keys)} in service_conf.yaml."
    )


def _join_or(names: list[str]) -> str:
    """Join names as "a, b or c", each name once."""
    unique = list(dict.fromkeys(names))
    if len(unique) == 1:
        return unique[0]
    return f"{', '.join(unique[:-1])} or {unique[-1]}"


def _details(
    demand: JobDemand, engine: EngineTotals, defaults: JobDefaults, cap: int
) -> dict[str, Any]:
    requested = [
        {
            "role": party.role,
            "party_id": party.party_id,
            "task_cores_per_node": party.task_cores_per_node,
            "task_nodes": party.task_nodes,
            "task_parallelism": party.task_parallelism,
            "cores": party.cores,
            "memory": party.memory,
        }
        for party in demand.parties
    ]
    return {
        "job_id": demand.job_id,
        "engine": engine.name,
        "requested": requested,
        "cores": demand.cores,
        "memory": demand.memory,
        "max_cores_per_job": cap,
        "max_cores_percent_per_job": defaults.max_cores_percent_per_job,
        "engine_cores": engine.cores,
        "engine_memory": engine.memory,
    }
