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
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from marshmallow import ValidationError

from fate_lineage.conf.schema import ENGINE_SECTIONS, SettingsSchema, known_keys
from fate_lineage.errors import ConfigError

CONF_PATH_VARIABLE = "FATE_LINEAGE_CONF"
OVERRIDE_PREFIX = "FATE_LINEAGE__"


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
    max_transaction_retry_time: float  # seconds


@dataclass(frozen=True)
class RedisSettings:
    url: str
    socket_timeout: float  # seconds


@dataclass(frozen=True)
class LineageSettings:
    """Bounds of lineage queries; depth is in hops, budgets in tables."""

    default_depth: int
    max_depth: int
    default_node_budget: int
    max_node_budget: int
    max_page_size: int


@dataclass(frozen=True)
class JobDefaults:
    """FATE Flow's job_default_config: a job's demand unless it sets its own.

    ``task_memory`` is in megabytes; the percents are fractions (1 is 100 %).
    """

    task_cores: int
    task_parallelism: int
    task_memory: int
    max_cores_percent_per_job: float
    total_cores_overweight_percent: float
    total_memory_overweight_percent: float


@dataclass(frozen=True)
class ResourceManagerSettings:
    """Lease and reaper intervals in seconds, and the Redis key namespace."""

    lease_seconds: float
    reap_interval_seconds: float
    key_namespace: str


@dataclass(frozen=True)
class DependencySettings:
    """Dependency distribution for jobs on Spark.

    ``code_roots`` are the folders packed into the code archive.
    ``python_env`` is the prefix of the environment packed for executors
    (empty: the service's own). ``store`` is where archives go: a path, a
    ``file://`` or an ``hdfs://`` URL, or empty for a folder under the user's
    home. ``upload_wait_seconds`` bounds how long a caller waits for another
    upload of the same version.
    """

    update_check: bool
    code_roots: tuple[str, ...]
    python_env: str
    store: str
    upload_wait_seconds: float


@dataclass(frozen=True)
class LoggingSettings:
    """Layout of the service's and gunicorn's log lines: ``text`` or ``json``."""

    format: str


@dataclass(frozen=True)
class ApiClient:
    """A key that may call the API, and what it may do.

    ``read_only`` limits the key to the query endpoints. ``party_ids``, when
    not empty, limits it to those parties' jobs, and ``table_namespaces`` to
    tables whose namespace starts with one of the prefixes (output tables of
    the parties' jobs are allowed too). docs/security.md lists the rules.
    """

    app_key: str
    secret_key: str = field(repr=False)
    read_only: bool = False
    party_ids: tuple[str, ...] = ()
    table_namespaces: tuple[str, ...] = ()

    @property
    def party_limited(self) -> bool:
        return bool(self.party_ids)


@dataclass(frozen=True)
class AuthenticationSettings:
    """Signed requests: accepted clock difference in seconds, and the keys.

    With no client configured, requests need no signature.
    """

    timestamp_window_seconds: float = 60.0
    clients: tuple[ApiClient, ...] = ()

    @property
    def enabled(self) -> bool:
        return bool(self.clients)

    def client(self, app_key: str) -> ApiClient | None:
        return next((c for c in self.clients if c.app_key == app_key), None)


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
    lineage: LineageSettings
    job_defaults: JobDefaults
    resource_manager: ResourceManagerSettings
    dependency: DependencySettings
    logging: LoggingSettings
    authentication: AuthenticationSettings = AuthenticationSettings()


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
        loaded = SettingsSchema().load(raw)
    except ValidationError as exc:
        problems = _describe(exc.messages, raw, overrides)
        raise ConfigError(
            f"{conf_path}: invalid settings: {problems}. The repository's "
            "conf/service_conf.yaml shows every key with a working value."
        ) from exc
    return _build(str(conf_path), loaded)


def _read_yaml(conf_path: Path) -> dict[str, Any]:
    try:
        text = conf_path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{conf_path}: not UTF-8 text (invalid byte at offset {exc.start}); "
            "save the file as UTF-8"
        ) from exc
    except OSError as exc:
        raise ConfigError(
            f"{conf_path}: cannot read the settings file ({exc.strerror}). "
            f"Create it from conf/service_conf.yaml or point {CONF_PATH_VARIABLE} "
            "at an existing file."
        ) from exc
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        # PyYAML's own message quotes the offending line, which may hold a
        # password, so only the problem and its position are reported.
        raise ConfigError(f"{conf_path}: not valid YAML: {_yaml_problem(exc)}") from exc
    if document is None:
        raise ConfigError(
            f"{conf_path}: the file is empty; copy conf/service_conf.yaml "
            "from the repository as a start"
        )
    if not isinstance(document, dict):
        raise ConfigError(
            f"{conf_path}: the top level must be a mapping of sections, "
            f"got {type(document).__name__}"
        )
    return document


def _yaml_problem(exc: yaml.YAMLError) -> str:
    problem = getattr(exc, "problem", None) or "syntax error"
    mark = getattr(exc, "problem_mark", None)
    if mark is None:
        return str(problem)
    return f"{problem} at line {mark.line + 1}, column {mark.column + 1}"


def _apply_overrides(raw: dict[str, Any], environ: Mapping[str, str]) -> dict[str, str]:
    """Write each FATE_LINEAGE__ variable into ``raw``; map keys to variables."""
    applied: dict[str, str] = {}
    keys = known_keys()
    for variable in sorted(environ):
        if not variable.startswith(OVERRIDE_PREFIX):
            continue
        key = variable[len(OVERRIDE_PREFIX) :].lower().replace("__", ".")
        if key not in keys:
            raise ConfigError(
                f"{variable} names the setting {key!r}, which does not exist. "
                "Separate levels with two underscores, as in "
                "FATE_LINEAGE__NEO4J__URI; conf/service_conf.yaml lists the keys."
            )
        # The value stays a string: the schema converts numbers and booleans,
        # and a password such as 12345678 or "yes" is kept as written.
        _set_nested(raw, key.split("."), environ[variable], variable)
        applied[key] = variable
    return applied


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
    keys = known_keys()
    for key, text in _flatten(messages):
        origin = f", set by {overrides[key]}" if key in overrides else ""
        found, value = _lookup(raw, key.split("."))
        got = f" (got {_shown(key, value, keys)}{origin})" if found else ""
        problems.append(f"{key}: {text.rstrip('.')}{got}")
    return "; ".join(problems)


# Keys whose values never appear in a message; clients hold secret keys.
_SECRET_KEYS = ("password", "secret_key", "authentication.clients")


def _shown(key: str, value: Any, keys: set[str]) -> str:
    """Return the value for an error message, with secrets hidden.

    Values of unknown keys are hidden too, since a misspelled key such as
    ``pasword`` may hold a secret.
    """
    if key not in keys or key.endswith(_SECRET_KEYS):
        return "a hidden value"
    if isinstance(value, str):
        return repr(redact_url(value))
    return repr(value)


def redact_url(url: str) -> str:
    """Return the URL with everything before its last ``@`` replaced by ``***``.

    The last ``@`` ends the user information even when the password itself
    contains one. Text without ``://``, such as the typo ``redis//:pw@host``,
    is redacted the same way.
    """
    if "@" not in url:
        return url
    scheme, separator, rest = url.partition("://")
    if not separator:
        scheme, rest = "", url
    return f"{scheme}{separator}***@{rest.rpartition('@')[2]}"


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
        for name, (section, group) in ENGINE_SECTIONS.items()
    }
    return Settings(
        source=source,
        service=ServiceSettings(
            host=loaded["fateflow"]["host"], http_port=loaded["fateflow"]["http_port"]
        ),
        default_computing_engine=loaded["default_engines"]["computing"].upper(),
        engines=engines,
        dependent_distribution=loaded["dependent_distribution"],
        neo4j=Neo4jSettings(**loaded["neo4j"]),
        redis=RedisSettings(**loaded["redis"]),
        lineage=LineageSettings(**loaded["lineage"]),
        job_defaults=JobDefaults(**loaded["job_default_config"]),
        resource_manager=ResourceManagerSettings(**loaded["resource_manager"]),
        dependency=DependencySettings(
            **{
                **loaded["dependency"],
                "code_roots": tuple(loaded["dependency"]["code_roots"]),
            }
        ),
        logging=LoggingSettings(**loaded["logging"]),
        authentication=_authentication(loaded),
    )


def _authentication(loaded: dict[str, Any]) -> AuthenticationSettings:
    """Return the clients, FATE Flow's single key pair first with full access."""
    section = loaded["authentication"]
    clients = [
        ApiClient(
            app_key=client["app_key"],
            secret_key=client["secret_key"],
            read_only=client["read_only"],
            party_ids=tuple(client["party_ids"]),
            table_namespaces=tuple(client["table_namespaces"]),
        )
        for client in section["clients"]
    ]
    service = loaded["fateflow"]
    if service.get("http_app_key"):
        clients.insert(
            0, ApiClient(service["http_app_key"], service["http_secret_key"])
        )
    return AuthenticationSettings(
        timestamp_window_seconds=section["timestamp_window_seconds"],
        clients=tuple(clients),
    )
