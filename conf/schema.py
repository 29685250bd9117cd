"""marshmallow schemas of ``service_conf.yaml``.

Sections that FATE Flow's file also has ignore keys that only FATE Flow uses,
so its sections can be copied over. The sections this service adds reject
unknown keys, which catches typos.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

from marshmallow import (
    EXCLUDE,
    RAISE,
    Schema,
    ValidationError,
    fields,
    validate,
    validates_schema,
)

# Computing engine name -> (section in the file, engine group in the section),
# as FATE Flow 1.7 lays them out.
ENGINE_SECTIONS: dict[str, tuple[str, str]] = {
    "STANDALONE": ("fate_on_standalone", "standalone"),
    "EGGROLL": ("fate_on_eggroll", "clustermanager"),
    "SPARK": ("fate_on_spark", "spark"),
}

NEO4J_SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")
REDIS_SCHEMES = ("redis", "rediss", "unix")

# ASCII digits only: int() would also accept digits of other scripts.
_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")


class WholeNumber(fields.Integer):
    """An integer written as one, so 2.9 or 2.0 are rejected, not truncated."""

    def _deserialize(
        self, value: Any, attr: str | None, data: Any, **kwargs: Any
    ) -> Any:
        written_as_int = isinstance(value, int) and not isinstance(value, bool)
        if isinstance(value, str):
            written_as_int = bool(_WHOLE_NUMBER.fullmatch(value.strip()))
        if not written_as_int:
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


def _url(schemes: tuple[str, ...], credentials_allowed: bool) -> fields.String:
    """Return a field for a URL with one of ``schemes`` and a valid port, if any."""
    return fields.String(
        required=True,
        validate=lambda url: _check_url(url, schemes, credentials_allowed),
    )


def _check_url(url: str, schemes: tuple[str, ...], credentials_allowed: bool) -> None:
    parts = urlsplit(url)
    if parts.scheme.lower() not in schemes:
        raise ValidationError(
            f"must start with {' or '.join(s + '://' for s in schemes)}"
        )
    if not credentials_allowed and (parts.username or parts.password):
        raise ValidationError(
            "must not contain a user or password; set neo4j.user and neo4j.password"
        )
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0 or (parts.scheme != "unix" and not parts.hostname):
        raise ValidationError("must name a host and, if any, a port from 1 to 65535")


def _text(**kwargs: Any) -> fields.String:
    """A string that must contain more than whitespace."""
    return fields.String(
        validate=validate.Regexp(r"\S", error="must not be empty or blank"), **kwargs
    )


def _port() -> WholeNumber:
    return WholeNumber(required=True, validate=validate.Range(1, 65535))


def _seconds(default: float) -> fields.Float:
    return fields.Float(load_default=default, validate=validate.Range(min=0.1, max=300))


class _EngineNodesSchema(Schema):
    class Meta:
        unknown = EXCLUDE  # FATE's engine groups carry keys such as `home`.

    # The bounds keep every total within 2**53, where Redis and Lua still
    # count whole numbers exactly.
    cores_per_node = WholeNumber(
        required=True, validate=validate.Range(min=1, max=1_000_000)
    )
    nodes = WholeNumber(required=True, validate=validate.Range(min=1, max=100_000))
    memory_per_node = WholeNumber(
        load_default=0, validate=validate.Range(min=0, max=1_000_000_000)
    )


def _engine_section(group: str) -> fields.Nested:
    section = Schema.from_dict(
        {group: fields.Nested(_EngineNodesSchema, required=True)},
        name=f"{group}_section",
    )
    return fields.Nested(section(unknown=EXCLUDE), required=True)


# Visible ASCII only, since the app key travels in an HTTP header.
_APP_KEY = validate.Regexp(
    r"^[\x21-\x7e]{1,128}$", error="must be 1 to 128 visible ASCII characters"
)
_PARTY_ID = validate.Regexp(r"^[0-9]{1,32}$", error="must be a decimal party id")


def _unique(values: list[str]) -> None:
    if len(set(values)) != len(values):
        raise ValidationError("lists a value more than once")


class _ServiceSchema(Schema):
    class Meta:
        unknown = EXCLUDE  # FATE Flow's grpc_port, proxy and others.

    host = _text(required=True)
    http_port = _port()
    # FATE Flow's single key pair; a FATE file leaves both empty (null).
    http_app_key = fields.String(
        load_default=None,
        allow_none=True,
        validate=lambda key: key == "" or _APP_KEY(key),
    )
    http_secret_key = fields.String(load_default=None, allow_none=True)


class _DefaultEnginesSchema(Schema):
    class Meta:
        unknown = EXCLUDE  # federation and storage engines are not used here.

    computing = fields.String(
        required=True,
        validate=validate.OneOf([name.lower() for name in ENGINE_SECTIONS]),
    )


class _Neo4jSchema(Schema):
    class Meta:
        unknown = RAISE

    uri = _url(NEO4J_SCHEMES, credentials_allowed=False)
    user = _text(required=True)
    password = fields.String(
        required=True,
        error_messages={"invalid": "Not a string; put the password in quotes"},
    )
    database = _text(load_default="neo4j")
    connection_timeout = _seconds(3.0)
    # 0 turns the driver's retries off.
    max_transaction_retry_time = fields.Float(
        load_default=3.0, validate=validate.Range(min=0, max=300)
    )


class _RedisSchema(Schema):
    class Meta:
        unknown = RAISE

    # A Redis password belongs in the URL, as redis-py reads it from there.
    url = _url(REDIS_SCHEMES, credentials_allowed=True)
    socket_timeout = _seconds(2.0)


class _LineageSchema(Schema):
    class Meta:
        unknown = RAISE

    default_depth = WholeNumber(load_default=3, validate=validate.Range(min=1))
    max_depth = WholeNumber(load_default=100, validate=validate.Range(min=1))
    default_node_budget = WholeNumber(load_default=1000, validate=validate.Range(min=1))
    max_node_budget = WholeNumber(load_default=100_000, validate=validate.Range(min=1))
    max_page_size = WholeNumber(load_default=1000, validate=validate.Range(min=1))

    @validates_schema
    def _check_defaults_within_limits(self, data: dict[str, Any], **_: Any) -> None:
        if data["default_depth"] > data["max_depth"]:
            raise ValidationError(
                "must not exceed lineage.max_depth", field_name="default_depth"
            )
        if data["default_node_budget"] > data["max_node_budget"]:
            raise ValidationError(
                "must not exceed lineage.max_node_budget",
                field_name="default_node_budget",
            )


class _JobDefaultsSchema(Schema):
    class Meta:
        unknown = EXCLUDE  # FATE's job_default_config has scheduler keys too.

    task_cores = WholeNumber(load_default=4, validate=validate.Range(min=1))
    task_parallelism = WholeNumber(load_default=1, validate=validate.Range(min=1))
    task_memory = WholeNumber(load_default=0, validate=validate.Range(min=0))
    max_cores_percent_per_job = fields.Float(
        load_default=1.0, validate=validate.Range(min=0, min_inclusive=False, max=1)
    )
    total_cores_overweight_percent = fields.Float(
        load_default=1.0, validate=validate.Range(min=0, min_inclusive=False, max=10)
    )
    total_memory_overweight_percent = fields.Float(
        load_default=1.0, validate=validate.Range(min=0, min_inclusive=False, max=10)
    )


class _ResourceManagerSchema(Schema):
    class Meta:
        unknown = RAISE

    lease_seconds = fields.Float(
        load_default=600.0, validate=validate.Range(min=1, max=86_400)
    )
    reap_interval_seconds = fields.Float(
        load_default=30.0, validate=validate.Range(min=0.1, max=3600)
    )
    key_namespace = fields.String(
        load_default="fate_lineage",
        validate=[
            validate.Length(min=1, max=64),
            validate.Regexp(r"^[A-Za-z0-9_.-]+$"),
        ],
    )


class PathList(fields.List[str]):
    """Folders as a YAML list, or as one string separated by ':' like PATH.

    The string form lets an environment variable override the list.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(fields.String(validate=validate.Length(min=1)), **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, str):
            value = [part for part in value.split(":") if part]
        return super()._deserialize(value, attr, data, **kwargs)


class _DependencySchema(Schema):
    class Meta:
        unknown = RAISE

    update_check = fields.Boolean(load_default=False)
    code_roots = PathList(load_default=list)
    python_env = fields.String(load_default="")
    store = fields.String(load_default="")
    upload_wait_seconds = fields.Float(
        load_default=300.0, validate=validate.Range(min=1, max=86_400)
    )


class _ClientSchema(Schema):
    class Meta:
        unknown = RAISE

    app_key = fields.String(required=True, validate=_APP_KEY)
    secret_key = _text(required=True)
    read_only = fields.Boolean(load_default=False)
    party_ids = fields.List(
        fields.String(validate=_PARTY_ID), load_default=list, validate=_unique
    )
    table_namespaces = fields.List(
        fields.String(validate=validate.Length(min=1)), load_default=list
    )


class ClientList(fields.List[dict[str, Any]]):
    """API clients as a YAML list, or as one JSON array in a string.

    The string form lets FATE_LINEAGE__AUTHENTICATION__CLIENTS set the list.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(fields.Nested(_ClientSchema), **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, str):
            try:
                value = json.loads(value) if value.strip() else []
            except ValueError as exc:
                raise ValidationError(
                    "must be a list, or a JSON array when set by a variable"
                ) from exc
        return super()._deserialize(value, attr, data, **kwargs)


class _AuthenticationSchema(Schema):
    class Meta:
        unknown = RAISE

    # FATE Flow 1.7 accepts a TIMESTAMP up to 60 s from its own clock.
    timestamp_window_seconds = fields.Float(
        load_default=60.0, validate=validate.Range(min=1, max=3600)
    )
    clients = ClientList(load_default=list)


LOG_FORMATS = ("text", "json")


class _LoggingSchema(Schema):
    class Meta:
        unknown = RAISE

    # text is gunicorn's line layout with the request id added, and json is
    # one JSON object per line.
    format = fields.String(load_default="text", validate=validate.OneOf(LOG_FORMATS))


class SettingsSchema(Schema):
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
    # Optional, so that a settings file written before it existed still loads.
    lineage = fields.Nested(
        _LineageSchema, load_default=lambda: _LineageSchema().load({})
    )
    job_default_config = fields.Nested(
        _JobDefaultsSchema, load_default=lambda: _JobDefaultsSchema().load({})
    )
    resource_manager = fields.Nested(
        _ResourceManagerSchema, load_default=lambda: _ResourceManagerSchema().load({})
    )
    dependency = fields.Nested(
        _DependencySchema, load_default=lambda: _DependencySchema().load({})
    )
    logging = fields.Nested(
        _LoggingSchema, load_default=lambda: _LoggingSchema().load({})
    )
    authentication = fields.Nested(
        _AuthenticationSchema,
        load_default=lambda: _AuthenticationSchema().load({}),
    )

    @validates_schema
    def _check_keys(self, data: dict[str, Any], **_: Any) -> None:
        service = data.get("fateflow") or {}
        app_key = service.get("http_app_key")
        if bool(app_key) != bool(service.get("http_secret_key")):
            raise ValidationError(
                "set both fateflow.http_app_key and fateflow.http_secret_key, "
                "or neither",
                field_name="fateflow",
            )
        clients = (data.get("authentication") or {}).get("clients", [])
        app_keys = [client["app_key"] for client in clients]
        if app_key:
            app_keys.append(app_key)
        repeated = sorted({key for key in app_keys if app_keys.count(key) > 1})
        if repeated:
            raise ValidationError(
                f"app key {', '.join(repeated)} is configured more than once",
                field_name="authentication",
            )


def known_keys(schema: Schema | None = None, prefix: str = "") -> set[str]:
    """Return every dotted key the schema reads, such as ``neo4j.uri``."""
    schema = schema if schema is not None else SettingsSchema()
    keys = set()
    for name, field in schema.fields.items():
        dotted = f"{prefix}{name}"
        if isinstance(field, fields.Nested) and isinstance(field.schema, Schema):
            keys |= known_keys(field.schema, prefix=f"{dotted}.")
        else:
            keys.add(dotted)
    return keys
