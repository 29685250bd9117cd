"""The job plan that ``dsl.parse_job`` returns, and the values it refers to."""

from __future__ import annotations

import re
from dataclasses import dataclass

from fate_lineage.errors import InvalidInput

JOB_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")
JOB_ID_RULE = "Use 1 to 64 characters from A-Z, a-z, 0-9, '_' and '-'."


@dataclass(frozen=True)
class TableRef:
    """A stored table, identified by its namespace and name."""

    namespace: str
    name: str


@dataclass(frozen=True)
class JobOutputRef:
    """Another job's component output, which a Reader can read instead of a table."""

    job_id: str
    component: str
    data_name: str


@dataclass(frozen=True)
class DataInput:
    """One upstream output that feeds a slot of a component's ``input.data``."""

    slot: str
    component: str
    data_name: str


@dataclass(frozen=True)
class ComponentSpec:
    """A DSL component with its data inputs in DSL order and its output data names."""

    name: str
    module: str
    data_inputs: tuple[DataInput, ...]
    data_outputs: tuple[str, ...]


@dataclass(frozen=True)
class TaskSpec:
    """One component run by one party."""

    component: str
    role: str
    party_id: str


@dataclass(frozen=True)
class ReaderInput:
    """The table that one party's Reader task reads."""

    component: str
    role: str
    party_id: str
    table: TableRef | JobOutputRef


@dataclass(frozen=True)
class JobPlan:
    """A validated job.

    ``components`` are in run order: a topological order that keeps DSL order
    where dependencies allow. ``tasks`` and ``reader_inputs`` follow that order,
    then the roles and parties in conf order. Party ids are decimal strings.
    """

    dsl_version: int
    initiator_role: str
    initiator_party_id: str
    roles: dict[str, tuple[str, ...]]
    components: tuple[ComponentSpec, ...]
    tasks: tuple[TaskSpec, ...]
    reader_inputs: tuple[ReaderInput, ...]

    def component(self, name: str) -> ComponentSpec:
        """Return the component named ``name`` or raise InvalidInput."""
        for spec in self.components:
            if spec.name == name:
                return spec
        names = ", ".join(spec.name for spec in self.components)
        raise InvalidInput(
            f"component {name} is not in the job's DSL. The components are: {names}."
        )
