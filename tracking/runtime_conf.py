"""Parse a FATE runtime conf and plan the tasks of a job.

The conf sets the DSL version, the parties of each role, the initiator and
the component parameters. Of those parameters only ``need_run`` and a
Reader's ``table`` are read, because they decide which tasks run and which
table each Reader task reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fate_lineage.errors import InvalidInput
from fate_lineage.tracking.json_fields import (
    describe,
    expect_array,
    expect_object,
    expect_string,
    is_whole_number,
    require,
)
from fate_lineage.tracking.plan import (
    JOB_ID_PATTERN,
    JOB_ID_RULE,
    JobOutputRef,
    ReaderInput,
    TableRef,
    TaskSpec,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from fate_lineage.tracking.plan import ComponentSpec

KNOWN_ROLES = ("guest", "host", "arbiter", "local")
READER_MODULE = "Reader"

_PARTY_ID = re.compile(r"[0-9]+")
# FATE Flow matches party index keys as strings, so "01" would match no party.
_PARTY_INDEX = re.compile(r"0|[1-9][0-9]*")
_TABLE_KEYS = frozenset({"name", "namespace"})
_JOB_OUTPUT_KEYS = frozenset({"job_id", "component_name", "data_name"})


def parse_dsl_version(conf: Mapping[str, Any]) -> int:
    """Return the conf's dsl_version, which must be 2 if it is set."""
    version = conf.get("dsl_version", 2)
    if is_whole_number(version) and version == 2:
        return 2
    if is_whole_number(version) and version == 1:
        raise InvalidInput(
            "conf.dsl_version: DSL v1 is not supported. Rewrite the job as "
            "DSL v2 and set dsl_version to 2."
        )
    raise InvalidInput(f"conf.dsl_version: expected 2, got {describe(version)}")


def _check_known_role(role: str, path: str) -> None:
    if role not in KNOWN_ROLES:
        raise InvalidInput(
            f"{path}: unknown role {role}. Use {', '.join(KNOWN_ROLES)}."
        )


def _parse_party_id(value: object, path: str) -> str:
    if is_whole_number(value) and value >= 0:
        return str(value)
    if isinstance(value, str) and _PARTY_ID.fullmatch(value):
        return str(int(value))
    raise InvalidInput(
        f"{path}: expected a party id such as 9999, got {describe(value)}"
    )


def parse_roles(conf: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """Return the party ids of each role in conf order, as decimal strings."""
    body = expect_object(require(conf, "role", "conf"), "conf.role")
    if not body:
        raise InvalidInput('conf.role: no roles are listed. Add one, such as "guest".')
    roles: dict[str, tuple[str, ...]] = {}
    for role, parties in body.items():
        path = f"conf.role.{role}"
        _check_known_role(role, path)
        items = enumerate(expect_array(parties, path))
        party_ids = [_parse_party_id(item, f"{path}[{i}]") for i, item in items]
        if not party_ids:
            raise InvalidInput(f"{path}: the role lists no parties. Add a party id.")
        repeated = sorted({p for p in party_ids if party_ids.count(p) > 1})
        if repeated:
            raise InvalidInput(
                f"{path}: party {', '.join(repeated)} is listed more than once"
            )
        roles[role] = tuple(party_ids)
    return roles


def parse_initiator(
    conf: Mapping[str, Any], roles: Mapping[str, tuple[str, ...]]
) -> tuple[str, str]:
    """Return the initiator's role and party id, which must be in conf.role."""
    path = "conf.initiator"
    body = expect_object(require(conf, "initiator", "conf"), path)
    role = expect_string(require(body, "role", path), f"{path}.role")
    _check_known_role(role, f"{path}.role")
    party_id = _parse_party_id(require(body, "party_id", path), f"{path}.party_id")
    if party_id not in roles.get(role, ()):
        raise InvalidInput(
            f"{path}: the initiator, {role} {party_id}, is not in conf.role. "
            f"Add party {party_id} to conf.role.{role}."
        )
    return role, party_id


@dataclass(frozen=True)
class _Settings:
    """The parameters that this module reads from one component's entry."""

    need_run: bool | None = None
    table: TableRef | JobOutputRef | None = None


@dataclass(frozen=True)
class _RoleEntry:
    """One party index key under ``component_parameters.role.<role>``."""

    indexes: frozenset[int] | None  # None for "all"
    settings: dict[str, _Settings]


@dataclass(frozen=True)
class _Parameters:
    common: dict[str, _Settings] = field(default_factory=dict)
    roles: dict[str, list[_RoleEntry]] = field(default_factory=dict)

    def settings(self, component: str, role: str, index: int) -> _Settings:
        """Merge the settings that apply to one party, the last value winning.

        The order is FATE Flow's: common parameters first, then the role's keys
        that match the party index, in conf order.
        """
        layers = [self.common.get(component, _Settings())]
        for entry in self.roles.get(role, []):
            if entry.indexes is None or index in entry.indexes:
                layers.append(entry.settings.get(component, _Settings()))
        layers.reverse()
        need_run = next((s.need_run for s in layers if s.need_run is not None), None)
        table = next((s.table for s in layers if s.table is not None), None)
        return _Settings(need_run, table)


def parse_component_parameters(
    conf: Mapping[str, Any],
    roles: Mapping[str, tuple[str, ...]],
    modules: Mapping[str, str],
) -> _Parameters:
    """Parse the need_run and Reader table settings of each component."""
    if "component_parameters" not in conf:
        return _Parameters()
    path = "conf.component_parameters"
    body = expect_object(conf["component_parameters"], path)
    common = _parse_settings_map(body.get("common", {}), f"{path}.common", modules)
    role_body = expect_object(body.get("role", {}), f"{path}.role")
    entries = {
        role: _parse_role_entries(role, value, roles, modules)
        for role, value in role_body.items()
    }
    return _Parameters(common, entries)


def _parse_role_entries(
    role: str,
    value: object,
    roles: Mapping[str, tuple[str, ...]],
    modules: Mapping[str, str],
) -> list[_RoleEntry]:
    path = f"conf.component_parameters.role.{role}"
    _check_known_role(role, path)
    if role not in roles:
        raise InvalidInput(
            f"{path}: role {role} is not in conf.role. Add its parties there "
            "or remove these parameters."
        )
    entries: list[_RoleEntry] = []
    for key, components in expect_object(value, path).items():
        indexes = parse_party_index(key, len(roles[role]), f"{path}.{key}")
        settings = _parse_settings_map(components, f"{path}.{key}", modules)
        entries.append(_RoleEntry(indexes, settings))
    return entries


def parse_party_index(key: str, party_count: int, path: str) -> frozenset[int] | None:
    """Return the party indexes that ``key`` selects, or None for "all"."""
    if key == "all":
        return None
    parts = key.split("|")
    if not all(_PARTY_INDEX.fullmatch(part) for part in parts):
        raise InvalidInput(
            f"{path}: party index {key!r} is invalid. Use 'all', an index such "
            "as '0', or indexes joined by '|' such as '0|1'."
        )
    indexes = frozenset(int(part) for part in parts)
    beyond = sorted(index for index in indexes if index >= party_count)
    if beyond:
        parties = "party" if party_count == 1 else "parties"
        raise InvalidInput(
            f"{path}: party index {beyond[0]} is out of range. The role has "
            f"{party_count} {parties} in conf.role, so the highest index is "
            f"{party_count - 1}."
        )
    return indexes


def _parse_settings_map(
    value: object, path: str, modules: Mapping[str, str]
) -> dict[str, _Settings]:
    settings: dict[str, _Settings] = {}
    for component, parameters in expect_object(value, path).items():
        if component not in modules:
            raise InvalidInput(
                f"{path}.{component}: component {component} is not in the DSL. "
                "Fix the name or remove these parameters."
            )
        module = modules[component]
        settings[component] = _parse_settings(parameters, f"{path}.{component}", module)
    return settings


def _parse_settings(parameters: object, path: str, module: str) -> _Settings:
    body = expect_object(parameters, path)
    need_run = body.get("need_run")
    if need_run is not None and not isinstance(need_run, bool):
        raise InvalidInput(
            f"{path}.need_run: expected true or false, got {describe(need_run)}"
        )
    table = None
    if module == READER_MODULE and "table" in body:
        table = _parse_table(body["table"], f"{path}.table")
    return _Settings(need_run, table)


def _parse_table(value: object, path: str) -> TableRef | JobOutputRef:
    body = expect_object(value, path)
    keys = set(body)
    if keys == _TABLE_KEYS:
        return TableRef(
            namespace=expect_string(body["namespace"], f"{path}.namespace"),
            name=expect_string(body["name"], f"{path}.name"),
        )
    if keys == _JOB_OUTPUT_KEYS:
        job_id = expect_string(body["job_id"], f"{path}.job_id")
        if not JOB_ID_PATTERN.fullmatch(job_id):
            raise InvalidInput(
                f"{path}.job_id: {job_id!r} is not a valid job id. {JOB_ID_RULE}"
            )
        return JobOutputRef(
            job_id=job_id,
            component=expect_string(body["component_name"], f"{path}.component_name"),
            data_name=expect_string(body["data_name"], f"{path}.data_name"),
        )
    raise InvalidInput(
        f"{path}: expected the keys name and namespace for a stored table, or "
        "job_id, component_name and data_name for another job's output, got "
        f"{', '.join(sorted(keys)) or 'no keys'}"
    )


# Tasks and Reader inputs.


def plan_tasks(
    components: tuple[ComponentSpec, ...],
    roles: Mapping[str, tuple[str, ...]],
    parameters: _Parameters,
) -> tuple[tuple[TaskSpec, ...], tuple[ReaderInput, ...]]:
    """List a task per component per party, except where need_run is false."""
    tasks: list[TaskSpec] = []
    reader_inputs: list[ReaderInput] = []
    for spec in components:
        for role, party_ids in roles.items():
            for index, party_id in enumerate(party_ids):
                settings = parameters.settings(spec.name, role, index)
                if settings.need_run is False:
                    continue
                tasks.append(TaskSpec(spec.name, role, party_id))
                table = settings.table
                if spec.module == READER_MODULE and table is not None:
                    reader_inputs.append(ReaderInput(spec.name, role, party_id, table))
    return tuple(tasks), tuple(reader_inputs)


def check_readers_have_tables(
    components: tuple[ComponentSpec, ...],
    tasks: tuple[TaskSpec, ...],
    reader_inputs: tuple[ReaderInput, ...],
) -> None:
    """Reject a Reader that runs on some party but reads a table on none."""
    running = {task.component for task in tasks}
    reading = {reader_input.component for reader_input in reader_inputs}
    for spec in components:
        if spec.module != READER_MODULE:
            continue
        if spec.name in running and spec.name not in reading:
            raise InvalidInput(
                f"component {spec.name}: no party has a table to read. Set "
                f"conf.component_parameters.role.<role>.<index>.{spec.name}.table "
                'to {"name": ..., "namespace": ...} for each party that reads.'
            )
