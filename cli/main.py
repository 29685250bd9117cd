"""``flow``: FATE Flow 1.7's commands and flags, against fate-lineage."""

from __future__ import annotations

from pathlib import Path

import click
import yaml

from fate_lineage import __version__
from fate_lineage.cli import http
from fate_lineage.cli.completion import completion
from fate_lineage.cli.config import (
    ServerAddress,
    load_address,
    parse_credentials,
    parse_host,
    parse_port,
    save_address,
)
from fate_lineage.cli.data import data
from fate_lineage.cli.dependency import dependency
from fate_lineage.cli.job import job
from fate_lineage.cli.openlineage import openlineage
from fate_lineage.cli.output import format_option, group_format_option
from fate_lineage.cli.resource import resource
from fate_lineage.cli.table import table
from fate_lineage.cli.tracking import tracking
from fate_lineage.errors import RetCode


@click.group()
@click.version_option(
    __version__, prog_name="flow", help="Print the version of flow and exit."
)
@group_format_option()
def flow() -> None:
    """Query and record lineage and resources on a fate-lineage service.

    Every command prints FATE Flow's JSON envelope unless --format table
    (or FATE_LINEAGE_FLOW_FORMAT=table) selects text tables. A non-zero
    retcode exits with status 1, invalid usage with status 2.

    Example: flow --format table table list --namespace-prefix experiment
    """


@flow.command()
@click.option("--ip", help="Host name or IP address of the service, e.g. 127.0.0.1.")
@click.option("--port", help="HTTP port of the service, 1 to 65535, e.g. 9380.")
@click.option(
    "-c",
    "--service-conf-path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Read the address from the fateflow section (host, http_port) of a "
    "service_conf.yaml, e.g. conf/service_conf.yaml, and the key pair from "
    "its http_app_key and http_secret_key, if set.",
)
@click.option(
    "--app-key",
    help="Key that signs every request, as configured on the service "
    "(fateflow.http_app_key or authentication.clients).",
)
@click.option(
    "--secret-key",
    help="Secret of --app-key. It is stored in the config file with mode 0600 "
    "and never printed.",
)
@format_option()
def init(
    ip: str | None,
    port: str | None,
    service_conf_path: Path | None,
    app_key: str | None,
    secret_key: str | None,
) -> None:
    """Store the server address, and the key pair if any, for later commands.

    Without --app-key and --secret-key, requests are sent unsigned and a key
    pair stored before is removed.

    Example: flow init --ip 127.0.0.1 --port 9380
    """
    if service_conf_path is not None:
        if ip or port:
            raise click.UsageError(
                "give either -c SERVICE_CONF_PATH or --ip and --port"
            )
        ip, port, conf_app_key, conf_secret_key = _address_from_service_conf(
            service_conf_path
        )
        if not app_key and not secret_key:
            app_key, secret_key = conf_app_key, conf_secret_key
    if not ip or not port:
        raise click.UsageError("give both --ip and --port, or -c SERVICE_CONF_PATH")
    address = ServerAddress(
        parse_host(ip, source="--ip"),
        parse_port(port, source="--port"),
        parse_credentials(app_key, secret_key),
    )
    path = save_address(address)
    data: dict[str, object] = {"ip": address.ip, "port": address.port}
    if address.credentials is not None:
        data["app_key"] = address.credentials.app_key
    http.echo_and_exit(
        {
            "retcode": RetCode.SUCCESS,
            "retmsg": "flow CLI has been initialized successfully: server "
            f"{address.base_url}, settings stored in {path}",
            "data": data,
        }
    )


@flow.group()
def server() -> None:
    """Check the service.

    Example: flow server ready
    """


@server.command()
@format_option()
def ready() -> None:
    """Report whether the service reaches Neo4j and Redis (GET /readyz).

    Example: flow server ready
    """
    http.echo_and_exit(http.call(load_address(), "GET", "/readyz"))


flow.add_command(completion)
flow.add_command(data)
flow.add_command(dependency)
flow.add_command(job)
flow.add_command(openlineage)
flow.add_command(resource)
flow.add_command(table)
flow.add_command(tracking)


def _address_from_service_conf(path: Path) -> tuple[str, str, str | None, str | None]:
    """Return host, port, app key and secret key of a service_conf.yaml."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise click.UsageError(f"cannot read {path}: {exc}") from exc
    section = document.get("fateflow") if isinstance(document, dict) else None
    if (
        not isinstance(section, dict)
        or "host" not in section
        or "http_port" not in section
    ):
        raise click.UsageError(
            f"{path} has no fateflow.host and fateflow.http_port; "
            "give --ip and --port instead"
        )
    app_key = section.get("http_app_key")
    secret_key = section.get("http_secret_key")
    return (
        str(section["host"]),
        str(section["http_port"]),
        str(app_key) if app_key else None,
        str(secret_key) if secret_key else None,
    )
