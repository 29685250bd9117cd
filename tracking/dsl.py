"""Parse a FATE DSL v2 and its runtime conf into a job plan.

The plan lists the components in run order, one task per component and party,
and the table that each Reader party reads. Every invalid DSL or conf raises
InvalidInput naming the component or the JSON path of the field, such as
``dsl.components.reader_0.output.data`` or ``conf.role.host``.
"""

from __future__ import annotations

import heapq
import itertools
import re
import reprlib
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeGuard

from fate_lineage.errors import InvalidInput

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping

KNOWN_ROLES = ("guest", "host", "arbiter", "local")
READER_MODULE = "Reader"

# Output table names are uuid5 values in this namespace. Changing it renames
# every output table reported from then on, so it must stay fixed.
OUTPUT_TABLE_NAMESPACE = uuid.UUID("9f9e4beb-e81f-4d04-9ccd-2a392ec832e1")

_JOB_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_JOB_ID_RULE = "Use 1 to 64 characters from A-Z, a-z, 0-9, '_' and '-'."
_PARTY_ID = re.compile(r"[0-9]+")
# FATE Flow matches party index keys as strings, so "01" would match no party.
_PARTY_INDEX = re.compile(r"0|[1-9][0-9]*")
# Only a predict DSL has these inputs: "args.data", "pipeline.<component>.model".
_PREDICT_INPUT_PREFIXES = ("args", "pipeline")
_MODEL_INPUT_KEYS = ("model", "isometric_model", "cache")
_TABLE_KEYS = frozenset({"name", "namespace"})
_JOB_OUTPUT_KEYS = frozenset({"job_id", "component_name", "data_name"})

_job_id_counter = itertools.count()
_job_id_lock = threading.Lock()


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


def parse_job(dsl: object, runtime_conf: object) -> JobPlan:
    """Validate a FATE DSL v2 and its runtime conf and return the job's plan.

    Raises InvalidInput for the first problem found. The conf's dsl_version is
    checked first, so a DSL v1 job gets that error instead of one about its DSL.
    """
    conf = _object(runtime_conf, "conf")
    dsl_version = _parse_dsl_version(conf)
    specs, upstream = _parse_dsl(dsl)
    components = _run_order(specs, upstream)

    roles = _parse_roles(conf)
    initiator_role, initiator_party_id = _parse_initiator(conf, roles)
    modules = {spec.name: spec.module for spec in specs}
    parameters = _parse_component_parameters(conf, roles, modules)

    tasks, reader_inputs = _plan_tasks(components, roles, parameters)
    _check_readers_have_tables(components, tasks, reader_inputs)
    return JobPlan(
        dsl_version=dsl_version,
        initiator_role=initiator_role,
        initiator_party_id=initiator_party_id,
        roles=roles,
        components=components,
        tasks=tasks,
        reader_inputs=reader_inputs,
    )


def generate_job_id(now: datetime | None = None) -> str:
    """Return a new job id in FATE Flow's format, such as 202111031759294631020.

    The id is the local time (or ``now``) formatted as ``%Y%m%d%H%M%S%f``,
    followed by one digit of a counter that the whole process shares and that
    wraps from 9 to 0. Ids are unique within the process while it makes fewer
    than ten in one microsecond, but two processes can make the same id.
    """
    with _job_id_lock:
        digit = next(_job_id_counter) % 10
    moment = datetime.now() if now is None else now
    return f"{moment:%Y%m%d%H%M%S%f}{digit}"


def validate_job_id(job_id: object) -> str:
    """Return ``job_id`` if it is 1 to 64 characters of [A-Za-z0-9_-].

    Raises InvalidInput, showing the value, for anything else, including a
    value that is not a string.
    """
    if not isinstance(job_id, str) or not _JOB_ID.fullmatch(job_id):
        raise InvalidInput(f"job_id {_describe(job_id)} is invalid. {_JOB_ID_RULE}")
    return job_id


def default_output_table(
    job_id: str,
    component: str,
    role: str,
    party_id: str,
    data_name: str,
    task_version: int = 0,
) -> TableRef:
    """Return the table that stores one task's output data.

    The namespace is FATE Flow's, ``output_data_<job_id>_<component>_<version>``.
    The name is a uuid5 of the task and the output instead of a new uuid, so
    reporting the same output again finds the same table, while each party's
    output gets its own name.
    """
    validate_job_id(job_id)
    if isinstance(task_version, bool) or task_version < 0:
        raise InvalidInput(
            f"task_version {task_version!r} is invalid. Use a whole number from 0."
        )
    key = f"{job_id}/{component}/{role}/{party_id}/{data_name}/{task_version}"
    return TableRef(
        namespace=f"output_data_{job_id}_{component}_{task_version}",
        name=uuid.uuid5(OUTPUT_TABLE_NAMESPACE, key).hex,
    )


# JSON shape checks. Each raises InvalidInput naming the path of the value.


def _describe(value: object) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return reprlib.repr(value)


def _is_whole_number(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _require(body: Mapping[str, Any], key: str, path: str) -> Any:
    if key not in body:
        raise InvalidInput(f"{path}.{key}: required field is missing")
    return body[key]


def _object(value: object, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidInput(f"{path}: expected an object, got {_describe(value)}")
    for key in value:
        if not isinstance(key, str):
            raise InvalidInput(f"{path}: key {key!r} is not a string")
    return value


def _array(value: object, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise InvalidInput(f"{path}: expected an array, got {_describe(value)}")
    return value


def _string(value: object, path: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(
            f"{path}: expected a non-empty string, got {_describe(value)}"
        )
    return value


def _strings(value: object, path: str) -> list[str]:
    items = _array(value, path)
    return [_string(item, f"{path}[{index}]") for index, item in enumerate(items)]


# The DSL: components, their inputs and outputs, and the run order.


def _parse_dsl(dsl: object) -> tuple[list[ComponentSpec], dict[str, set[str]]]:
    """Return the components in DSL order and the components each one depends on."""
    root = _object(dsl, "dsl")
    raw = _object(_require(root, "components", "dsl"), "dsl.components")
    if not raw:
        raise InvalidInput("dsl.components: the DSL has no components. Add one.")
    for name in raw:
        _check_component_name(name)
    bodies = {
        name: _object(body, f"dsl.components.{name}") for name, body in raw.items()
    }
    outputs = {name: _parse_outputs(name, body) for name, body in bodies.items()}

    specs: list[ComponentSpec] = []
    upstream: dict[str, set[str]] = {}
    for name, body in bodies.items():
        path = f"dsl.components.{name}"
        module = _string(_require(body, "module", path), f"{path}.module")
        data_inputs, depends_on = _parse_inputs(name, body, outputs)
        specs.append(ComponentSpec(name, module, data_inputs, outputs[name]))
        upstream[name] = depends_on
    return specs, upstream


def _check_component_name(name: str) -> None:
    if not name.strip() or "." in name:
        raise InvalidInput(
            f"dsl.components: component name {name!r} is invalid. Use a non-empty "
            "name without '.', because inputs refer to outputs as "
            "'<component>.<output name>'."
        )


def _parse_outputs(name: str, body: Mapping[str, Any]) -> tuple[str, ...]:
    if "output" not in body:
        return ()
    path = f"dsl.components.{name}.output"
    output = _object(body["output"], path)
    if "model" in output:
        _strings(output["model"], f"{path}.model")
    data = _strings(output.get("data", []), f"{path}.data")

    repeated = sorted({data_name for data_name in data if data.count(data_name) > 1})
    if repeated:
        raise InvalidInput(
            f"{path}.data: {', '.join(repeated)} is listed more than once. "
            "Give each output a distinct name."
        )
    return tuple(data)


def _parse_inputs(
    name: str, body: Mapping[str, Any], outputs: Mapping[str, tuple[str, ...]]
) -> tuple[tuple[DataInput, ...], set[str]]:
    """Return a component's data inputs and every component it depends on.

    Model, isometric model and cache inputs add dependencies but no data inputs,
    because the component can only run after the components whose models it
    loads.
    """
    if "input" not in body:
        return (), set()
    path = f"dsl.components.{name}.input"
    inputs = _object(body["input"], path)
    data_inputs = _parse_data_inputs(name, inputs, outputs)

    depends_on = {data_input.component for data_input in data_inputs}
    for key in _MODEL_INPUT_KEYS:
        if key in inputs:
            for reference in _strings(inputs[key], f"{path}.{key}"):
                upstream, _ = _split_reference(name, key, reference, outputs)
                depends_on.add(upstream)
    return data_inputs, depends_on


def _parse_data_inputs(
    name: str, inputs: Mapping[str, Any], outputs: Mapping[str, tuple[str, ...]]
) -> tuple[DataInput, ...]:
    if "data" not in inputs:
        return ()
    path = f"dsl.components.{name}.input.data"
    data_inputs: list[DataInput] = []
    for slot, references in _object(inputs["data"], path).items():
        for reference in _strings(references, f"{path}.{slot}"):
            where = f"data.{slot}"
            upstream, data_name = _split_reference(name, where, reference, outputs)
            if data_name not in outputs[upstream]:
                raise _unknown_output(name, where, reference, outputs[upstream])
            data_inputs.append(DataInput(slot, upstream, data_name))
    return tuple(data_inputs)


def _split_reference(
    name: str, where: str, reference: str, components: Collection[str]
) -> tuple[str, str]:
    """Split ``upstream.output`` and check that the upstream component exists."""
    upstream, dot, output = reference.partition(".")
    prefix = f"component {name}: input {where} refers to {reference}"
    if upstream in _PREDICT_INPUT_PREFIXES:
        raise InvalidInput(
            f"{prefix}, which is an input of a predict DSL. Only training DSLs "
            "are accepted, so submit the job's training DSL."
        )
    if not dot or not upstream or not output:
        raise InvalidInput(
            f"component {name}: input {where} contains {reference!r}, which is not "
            "of the form '<component>.<output name>'"
        )
    if upstream not in components:
        raise InvalidInput(f"{prefix}, but the DSL has no component {upstream}")
    return upstream, output


def _unknown_output(
    name: str, where: str, reference: str, available: tuple[str, ...]
) -> InvalidInput:
    upstream, _, data_name = reference.partition(".")
    if available:
        hint = f"Its output data names are: {', '.join(available)}."
    else:
        hint = f"dsl.components.{upstream}.output.data lists no outputs."
    return InvalidInput(
        f"component {name}: input {where} refers to {reference}, but {upstream} "
        f"has no output data named {data_name}. {hint}"
    )


def _run_order(
    specs: list[ComponentSpec], upstream: Mapping[str, set[str]]
) -> tuple[ComponentSpec, ...]:
    """Sort the components topologically, taking the earliest ready one in DSL order.

    Taking the earliest keeps the DSL order wherever the dependencies allow it.
    """
    position = {spec.name: index for index, spec in enumerate(specs)}
    downstream: dict[str, list[str]] = {spec.name: [] for spec in specs}
    for name, parents in upstream.items():
        for parent in parents:
            downstream[parent].append(name)
    waiting = {name: len(parents) for name, parents in upstream.items()}
    ready = [position[name] for name, count in waiting.items() if count == 0]
    heapq.heapify(ready)

    order: list[ComponentSpec] = []
    while ready:
        spec = specs[heapq.heappop(ready)]
        order.append(spec)
        for child in downstream[spec.name]:
            waiting[child] -= 1
            if waiting[child] == 0:
                heapq.heappush(ready, position[child])
    if len(order) < len(specs):
        done = {spec.name for spec in order}
        raise _cycle_error(specs, upstream, done, position)
    return tuple(order)


def _cycle_error(
    specs: list[ComponentSpec],
    upstream: Mapping[str, set[str]],
    done: set[str],
    position: Mapping[str, int],
) -> InvalidInput:
    """Describe one cycle among the components that could not be ordered.

    Each of them waits on at least one other, so walking upstream from any of
    them must reach a component twice. Components that only sit downstream of
    the cycle are left out of the message.
    """
    current = next(spec.name for spec in specs if spec.name not in done)
    path: list[str] = []
    while current not in path:
        path.append(current)
        pending = [parent for parent in upstream[current] if parent not in done]
        current = min(pending, key=position.__getitem__)
    cycle = path[path.index(current) :]
    cycle.reverse()
    arrows = " -> ".join([*cycle, cycle[0]])
    return InvalidInput(
        f"dsl.components: the inputs form a dependency cycle: {arrows}. "
        "Remove one of these inputs."
    )


# The runtime conf: version, roles, initiator and component parameters.


def _parse_dsl_version(conf: Mapping[str, Any]) -> int:
    version = conf.get("dsl_version", 2)
    if _is_whole_number(version) and version == 2:
        return 2
    if _is_whole_number(version) and version == 1:
        raise InvalidInput(
            "conf.dsl_version: DSL v1 is not supported. Rewrite the job as "
            "DSL v2 and set dsl_version to 2."
        )
    raise InvalidInput(f"conf.dsl_version: expected 2, got {_describe(version)}")


def _check_known_role(role: str, path: str) -> None:
    if role not in KNOWN_ROLES:
        raise InvalidInput(
            f"{path}: unknown role {role}. Use {', '.join(KNOWN_ROLES)}."
        )


def _parse_party_id(value: object, path: str) -> str:
    if _is_whole_number(value) and value >= 0:
        return str(value)
    if isinstance(value, str) and _PARTY_ID.fullmatch(value):
        return str(int(value))
    raise InvalidInput(
        f"{path}: expected a party id such as 9999, got {_describe(value)}"
    )


def _parse_roles(conf: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    body = _object(_require(conf, "role", "conf"), "conf.role")
    if not body:
        raise InvalidInput('conf.role: no roles are listed. Add one, such as "guest".')
    roles: dict[str, tuple[str, ...]] = {}
    for role, parties in body.items():
        path = f"conf.role.{role}"
        _check_known_role(role, path)
        items = enumerate(_array(parties, path))
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


def _parse_initiator(
    conf: Mapping[str, Any], roles: Mapping[str, tuple[str, ...]]
) -> tuple[str, str]:
    path = "conf.initiator"
    body = _object(_require(conf, "initiator", "conf"), path)
    role = _string(_require(body, "role", path), f"{path}.role")
    _check_known_role(role, f"{path}.role")
    party_id = _parse_party_id(_require(body, "party_id", path), f"{path}.party_id")
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


def _parse_component_parameters(
    conf: Mapping[str, Any],
    roles: Mapping[str, tuple[str, ...]],
    modules: Mapping[str, str],
) -> _Parameters:
    if "component_parameters" not in conf:
        return _Parameters()
    path = "conf.component_parameters"
    body = _object(conf["component_parameters"], path)
    common = _parse_settings_map(body.get("common", {}), f"{path}.common", modules)
    role_body = _object(body.get("role", {}), f"{path}.role")
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
    for key, components in _object(value, path).items():
        indexes = _parse_party_index(key, len(roles[role]), f"{path}.{key}")
        settings = _parse_settings_map(components, f"{path}.{key}", modules)
        entries.append(_RoleEntry(indexes, settings))
    return entries


def _parse_party_index(key: str, party_count: int, path: str) -> frozenset[int] | None:
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
    for component, parameters in _object(value, path).items():
        if component not in modules:
            raise InvalidInput(
                f"{path}.{component}: component {component} is not in the DSL. "
                "Fix the name or remove these parameters."
            )
        module = modules[component]
        settings[component] = _parse_settings(parameters, f"{path}.{component}", module)
    return settings


def _parse_settings(parameters: object, path: str, module: str) -> _Settings:
    body = _object(parameters, path)
    need_run = body.get("need_run")
    if need_run is not None and not isinstance(need_run, bool):
        raise InvalidInput(
            f"{path}.need_run: expected true or false, got {_describe(need_run)}"
        )
    table = None
    if module == READER_MODULE and "table" in body:
        table = _parse_table(body["table"], f"{path}.table")
    return _Settings(need_run, table)


def _parse_table(value: object, path: str) -> TableRef | JobOutputRef:
    body = _object(value, path)
    keys = set(body)
    if keys == _TABLE_KEYS:
        return TableRef(
            namespace=_string(body["namespace"], f"{path}.namespace"),
            name=_string(body["name"], f"{path}.name"),
        )
    if keys == _JOB_OUTPUT_KEYS:
        job_id = _string(body["job_id"], f"{path}.job_id")
        if not _JOB_ID.fullmatch(job_id):
            raise InvalidInput(
                f"{path}.job_id: {job_id!r} is not a valid job id. {_JOB_ID_RULE}"
            )
        return JobOutputRef(
            job_id=job_id,
            component=_string(body["component_name"], f"{path}.component_name"),
            data_name=_string(body["data_name"], f"{path}.data_name"),
        )
    raise InvalidInput(
        f"{path}: expected the keys name and namespace for a stored table, or "
        "job_id, component_name and data_name for another job's output, got "
        f"{', '.join(sorted(keys)) or 'no keys'}"
    )


# Tasks and Reader inputs.


def _plan_tasks(
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


def _check_readers_have_tables(
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
