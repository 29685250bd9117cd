"""Parse a FATE DSL v2 and its runtime conf into a job plan.

The plan lists the components in run order, one task per component and party,
and the table that each Reader party reads. Every invalid DSL or conf raises
InvalidInput naming the component or the JSON path of the field, such as
``dsl.components.reader_0.output.data`` or ``conf.role.host``.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from fate_lineage.errors import InvalidInput
from fate_lineage.tracking.json_fields import (
    describe,
    expect_object,
    expect_string,
    expect_strings,
    require,
)
from fate_lineage.tracking.plan import (
    JOB_ID_PATTERN,
    JOB_ID_RULE,
    ComponentSpec,
    DataInput,
    JobOutputRef,
    JobPlan,
    ReaderInput,
    TableRef,
    TaskSpec,
)
from fate_lineage.tracking.runtime_conf import (
    KNOWN_ROLES,
    READER_MODULE,
    check_readers_have_tables,
    parse_component_parameters,
    parse_dsl_version,
    parse_initiator,
    parse_roles,
    plan_tasks,
)

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping

# TableRef and the other plan types live in plan.py, so that runtime_conf can
# use them without importing this module, which imports runtime_conf. They are
# re-exported with the conf's constants, so callers import the API from here.
__all__ = [
    "KNOWN_ROLES",
    "OUTPUT_TABLE_NAMESPACE",
    "READER_MODULE",
    "ComponentSpec",
    "DataInput",
    "JobOutputRef",
    "JobPlan",
    "ReaderInput",
    "TableRef",
    "TaskSpec",
    "default_output_table",
    "generate_job_id",
    "parse_job",
    "validate_job_id",
]

# Keeps output namespaces (output_data_<job_id>_<component>_<n>) within the
# 512 characters that table namespaces may have.
MAX_COMPONENT_NAME = 128

# Output table names are uuid5 values in this namespace. Changing it renames
# every output table reported from then on, so it must stay fixed.
OUTPUT_TABLE_NAMESPACE = uuid.UUID("9f9e4beb-e81f-4d04-9ccd-2a392ec832e1")

# Only a predict DSL has these inputs: "args.data", "pipeline.<component>.model".
_PREDICT_INPUT_PREFIXES = ("args", "pipeline")
_MODEL_INPUT_KEYS = ("model", "isometric_model", "cache")

_job_id_counter = itertools.count()
_job_id_lock = threading.Lock()


def parse_job(dsl: object, runtime_conf: object) -> JobPlan:
    """Validate a FATE DSL v2 and its runtime conf and return the job's plan.

    Raises InvalidInput for the first problem found. The conf's dsl_version is
    checked first, so a DSL v1 job gets that error instead of one about its DSL.
    """
    conf = expect_object(runtime_conf, "conf")
    dsl_version = parse_dsl_version(conf)
    specs, upstream = _parse_dsl(dsl)
    components = _run_order(specs, upstream)

    roles = parse_roles(conf)
    initiator_role, initiator_party_id = parse_initiator(conf, roles)
    modules = {spec.name: spec.module for spec in specs}
    parameters = parse_component_parameters(conf, roles, modules)

    tasks, reader_inputs = plan_tasks(components, roles, parameters)
    check_readers_have_tables(components, tasks, reader_inputs)
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
    if not isinstance(job_id, str) or not JOB_ID_PATTERN.fullmatch(job_id):
        raise InvalidInput(f"job_id {describe(job_id)} is invalid. {JOB_ID_RULE}")
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


# The DSL: components, their inputs and outputs, and the run order.


def _parse_dsl(dsl: object) -> tuple[list[ComponentSpec], dict[str, set[str]]]:
    """Return the components in DSL order and the components each one depends on."""
    root = expect_object(dsl, "dsl")
    raw = expect_object(require(root, "components", "dsl"), "dsl.components")
    if not raw:
        raise InvalidInput("dsl.components: the DSL has no components. Add one.")
    for name in raw:
        _check_component_name(name)
    bodies = {
        name: expect_object(body, f"dsl.components.{name}")
        for name, body in raw.items()
    }
    outputs = {name: _parse_outputs(name, body) for name, body in bodies.items()}

    specs: list[ComponentSpec] = []
    upstream: dict[str, set[str]] = {}
    for name, body in bodies.items():
        path = f"dsl.components.{name}"
        module = expect_string(require(body, "module", path), f"{path}.module")
        data_inputs, depends_on = _parse_inputs(name, body, outputs)
        specs.append(ComponentSpec(name, module, data_inputs, outputs[name]))
        upstream[name] = depends_on
    return specs, upstream


def _check_component_name(name: str) -> None:
    if not name.strip() or "." in name or len(name) > MAX_COMPONENT_NAME:
        shown = name if len(name) <= MAX_COMPONENT_NAME else name[:40] + "..."
        raise InvalidInput(
            f"dsl.components: component name {shown!r} is invalid. Use a non-empty "
            f"name of at most {MAX_COMPONENT_NAME} characters without '.', because "
            "inputs refer to outputs as '<component>.<output name>' and output "
            "namespaces contain the name."
        )


def _parse_outputs(name: str, body: Mapping[str, Any]) -> tuple[str, ...]:
    if "output" not in body:
        return ()
    path = f"dsl.components.{name}.output"
    output = expect_object(body["output"], path)
    if "model" in output:
        expect_strings(output["model"], f"{path}.model")
    data = expect_strings(output.get("data", []), f"{path}.data")

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
    inputs = expect_object(body["input"], path)
    data_inputs = _parse_data_inputs(name, inputs, outputs)

    depends_on = {data_input.component for data_input in data_inputs}
    for key in _MODEL_INPUT_KEYS:
        if key in inputs:
            for reference in expect_strings(inputs[key], f"{path}.{key}"):
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
    for slot, references in expect_object(inputs["data"], path).items():
        for reference in expect_strings(references, f"{path}.{slot}"):
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
