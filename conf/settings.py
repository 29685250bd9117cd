"""Load and validate the service settings.

The file is FATE Flow's ``service_conf.yaml`` shape where the two overlap.
Environment variables named ``FATE_LINEAGE__<SECTION>__<KEY>`` override single
keys; their values are parsed as YAML scalars, so ``8`` is a number and
``false`` a boolean. Any problem raises :class:`ConfigError` naming the file,
the key and, for an override, the variable.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate

from fate_lineage.errors import ConfigError

CONF_PATH_VARIABLE = "FATE_LINEAGE_CONF"
OVERRIDE_PREFIX = "FATE_LINEAGE__"

# Computing engine name -> (section in the file, engine group in the section).
ENGINE_ENTRANCES: dict[str, tuple[str, str]] = {
    "STANDALONE": ("fate_on_standalone", "standalone"),
    "EGGROLL": ("fate_on_eggroll", "clustermanager"),
    "SPARK": ("fate_on_spark", "spark"),
}


@dataclass(frozen=True)
class EngineNodes:
    """Size of one computing engine; memory is in megabytes."""

    cores_per_node: int
    nodes: int
    memory_per_node: int


@dataclass(frozen=True)
class ServiceSettings:
    host: str
    http_port: int


@dataclass(frozen=True)
class Neo4jSettings:
    uri: str
    user: str
    password: str
    database: str
    connection_timeout: float  # seconds


@dataclass(frozen=True)
class RedisSettings:
    url: str
    socket_timeout: float  # seconds


@dataclass(frozen=True)
class Settings:
    """Everything the service reads at start; ``source`` is the file's path."""

    source: str
    service: ServiceSettings
    default_computing_engine: str
    engines: Mapping[str, EngineNodes]
    dependent_distribution: bool
    neo4j: Neo4jSettings
    redis: RedisSettings


def _port() -> fields.Integer:
    return fields.Integer(required=True, validate=validate.Range(1, 65535))


class _EngineNodesSchema(Schema):
    class Meta:
        unknown = EXCLUDE  # FATE's engine groups carry keys we do not use.

    cores_per_node = fields.Integer(required=True, validate=validate.Range(min=1))
    nodes = fields.Integer(required=True, validate=validate.Range(min=1))
    memory_per_node = fields.Integer(load_default=0, validate=validate.Range(min=0))


def _engine_section(group: str) -> fields.Nested:
    section = Schema.from_dict(
        {group: fields.Nested(_EngineNodesSchema, required=True)},
        name=f"{group}_section",
    )
    return fields.Nested(section(unknown=EXCLUDE), required=True)


class _ServiceSchema(Schema):
    class Meta:
        unknown = EXCLUDE  # FATE Flow's grpc_port, proxy and others.

    host = fields.String(required=True, validate=validate.Length(min=1))
    http_port = _port()


class _DefaultEnginesSchema(Schema):
    class Meta:
        unknown = EXCLUDE  # federation and storage engines are not used here.

    computing = fields.String(
        required=True,
        validate=validate.OneOf([name.lower() for name in ENGINE_ENTRANCES]),
    )


class _Neo4jSchema(Schema):
    class Meta:
        unknown = RAISE

    uri = fields.String(
        required=True,
        validate=validate.Regexp(
            r"^(bolt|neo4j)(\+s|\+ssc)?://",
            error="must start with bolt://, neo4j:// or their +s/+ssc forms",
        ),
    )
    user = fields.String(required=True, validate=validate.Length(min=1))
    password = fields.String(required=True)
    database = fields.String(load_default="neo4j")
    connection_timeout = fields.Float(
        load_default=3.0, validate=validate.Range(min=0.1, max=300)
    )


class _RedisSchema(Schema):
    class Meta:
        unknown = RAISE

    url = fields.String(
        required=True,
        validate=validate.Regexp(
            r"^(redis|rediss|unix)://",
            error="must start with redis://, rediss:// or unix://",
        ),
    )
    socket_timeout = fields.Float(
        load_default=2.0, validate=validate.Range(min=0.1, max=300)
    )


class _SettingsSchema(Schema):
    class Meta:
        unknown = EXCLUDE  # Other sections of a FATE Flow file are ignored.

    dependent_distribution = fields.Boolean(load_default=False)
    fateflow = fields.Nested(_ServiceSchema, required=True)
    default_engines = fields.Nested(_DefaultEnginesSchema, required=True)
    fate_on_standalone = _engine_section("standalone")
    fate_on_eggroll = _engine_section("clustermanager")
    fate_on_spark = _engine_section("spark")
    neo4j = fields.Nested(_Neo4jSchema, required=True)
    redis = fields.Nested(_RedisSchema, required=True)


def default_conf_path() -> Path:
    """Return the file named by FATE_LINEAGE_CONF, else the packaged one."""
    configured = os.environ.get(CONF_PATH_VARIABLE)
    if configured:
        return Path(configured)
    packaged = Path(str(resources.files("fate_lineage.conf") / "service_conf.yaml"))
    # A development install links the file from conf/; name the real file.
    return packaged.resolve()


def load_settings(
    path: Path | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Read, override and validate the settings, or raise ConfigError."""
    conf_path = path if path is not None else default_conf_path()
    raw = _read_yaml(conf_path)
    overrides = _apply_overrides(raw, os.environ if environ is None else environ)
    try:
        loaded = _SettingsSchema().load(raw)
    except ValidationError as exc:
        problems = _describe(exc.messages, raw, overrides)
        raise ConfigError(
            f"{conf_path}: invalid settings: {problems}. The packaged "
            "conf/service_conf.yaml lists every key with its default."
        ) from exc
    return _build(str(conf_path), loaded)


def _read_yaml(conf_path: Path) -> dict[str, Any]:
    try:
        text = conf_path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            f"{conf_path}: cannot read the settings file ({exc.strerror}). "
            f"Create it from conf/service_conf.yaml or point {CONF_PATH_VARIABLE} "
            "at an existing file."
        ) from exc
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{conf_path}: not valid YAML: {exc}") from exc
    if not isinstance(document, dict):
        raise ConfigError(
            f"{conf_path}: the top level must be a mapping of sections, "
            f"got {type(document).__name__}"
        )
    return document


def _apply_overrides(raw: dict[str, Any], environ: Mapping[str, str]) -> dict[str, str]:
    """Write each FATE_LINEAGE__ variable into ``raw``; map keys to variables."""
    applied: dict[str, str] = {}
    for variable in sorted(environ):
        if not variable.startswith(OVERRIDE_PREFIX):
            continue
        path = variable[len(OVERRIDE_PREFIX) :].lower().split("__")
        if not all(path):
            raise ConfigError(
                f"{variable}: empty key in the variable name; separate levels "
                "with exactly two underscores, e.g. FATE_LINEAGE__NEO4J__URI"
            )
        _set_nested(raw, path, _parse_scalar(environ[variable]), variable)
        applied[".".join(path)] = variable
    return applied


def _parse_scalar(value: str) -> Any:
    try:
        return yaml.safe_load(value) if value else value
    except yaml.YAMLError:
        return value


def _set_nested(
    raw: dict[str, Any], path: list[str], value: Any, variable: str
) -> None:
    node = raw
    for key in path[:-1]:
        child = node.setdefault(key, {})
        if not isinstance(child, dict):
            raise ConfigError(
                f"{variable}: {key} is a single value in the file, "
                "so it has no keys to override"
            )
        node = child
    node[path[-1]] = value


def _describe(messages: Any, raw: dict[str, Any], overrides: Mapping[str, str]) -> str:
    problems = []
    for key, text in _flatten(messages):
        origin = f", set by {overrides[key]}" if key in overrides else ""
        found, value = _lookup(raw, key.split("."))
        got = f" (got {value!r}{origin})" if found else ""
        problems.append(f"{key}: {text.rstrip('.')}{got}")
    return "; ".join(problems)


def _lookup(raw: dict[str, Any], path: list[str]) -> tuple[bool, Any]:
    node: Any = raw
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return False, None
        node = node[key]
    return True, node


def _flatten(messages: Any, prefix: str = "") -> list[tuple[str, str]]:
    if isinstance(messages, dict):
        found = []
        for key, value in messages.items():
            # marshmallow files errors about a value's type under "_schema".
            dotted = prefix if key == "_schema" else f"{prefix}.{key}".lstrip(".")
            found.extend(_flatten(value, dotted))
        return found
    if isinstance(messages, list):
        return [(prefix, " ".join(str(item) for item in messages))]
    return [(prefix, str(messages))]


def _build(source: str, loaded: dict[str, Any]) -> Settings:
    engines = {
        name: EngineNodes(**loaded[section][group])
        for name, (section, group) in ENGINE_ENTRANCES.items()
    }
    return Settings(
        source=source,
        service=ServiceSettings(**loaded["fateflow"]),
        default_computing_engine=loaded["default_engines"]["computing"].upper(),
        engines=engines,
        dependent_distribution=loaded["dependent_distribution"],
        neo4j=Neo4jSettings(**loaded["neo4j"]),
        redis=RedisSettings(**loaded["redis"]),
    )
