"""``flow table``: bind tables and query their provenance."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from fate_lineage.cli import http
from fate_lineage.cli.config import load_address
from fate_lineage.cli.files import read_json_object
from fate_lineage.cli.output import current_format, format_option
from fate_lineage.cli.tabular import number_lineage_nodes
from fate_lineage.errors import RetCode
from fate_lineage.tracking.render import to_dot, to_mermaid

# Keys of FATE's bind conf, plus the two the endpoint also stores for a table.
_BIND_KEYS = (
    "name",
    "namespace",
    "engine",
    "address",
    "head",
    "id_delimiter",
    "partitions",
    "columns",
    "row_count",
)

_RENDERERS = {"dot": to_dot, "mermaid": to_mermaid}

table_name_option = click.option(
    "-t",
    "--table-name",
    required=True,
    help="Name of the table, 1 to 512 characters, e.g. breast_hetero_guest.",
)
namespace_option = click.option(
    "-n",
    "--namespace",
    required=True,
    help="Namespace of the table, 1 to 512 characters, e.g. experiment.",
)
page_option = click.option(
    "--page",
    type=click.IntRange(min=1),
    help="Page number to return, counted from 1 (default 1), e.g. 2.",
)
page_size_option = click.option(
    "--page-size",
    type=click.IntRange(min=1),
    help="Number of items (jobs or tables) per page (default 20, at most the "
    "service's lineage.max_page_size, 1000 by default), e.g. 50.",
)


@click.group()
def table() -> None:
    """Bind tables and query their provenance.

    Example: flow table tracking-source -t breast_hetero_guest -n experiment
    """


@table.command()
@click.option(
    "-c",
    "--conf-path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="FATE bind conf JSON with name, namespace, engine, address, head, "
    "id_delimiter and partitions, plus columns and row_count if known, "
    "e.g. bind_hdfs.json.",
)
@format_option()
def bind(conf_path: Path) -> None:
    """Register a table that already exists in a storage engine.

    Example: flow table bind -c bind_hdfs.json
    """
    conf = read_json_object(conf_path)
    for key in ("name", "namespace"):
        if not isinstance(conf.get(key), str) or not conf[key]:
            raise click.UsageError(
                f"{conf_path}: missing or empty key {key!r}. A bind conf needs "
                "name and namespace."
            )
    body = {key: conf[key] for key in _BIND_KEYS if key in conf}
    http.post_and_echo("/v1/table/bind", body)


@table.command("tracking-source")
@table_name_option
@namespace_option
@format_option()
def tracking_source(table_name: str, namespace: str) -> None:
    """List the parent tables of a table and the source table of each.

    Example: flow table tracking-source -t breast_hetero_guest -n experiment
    """
    http.post_and_echo(
        "/v1/table/tracking/source",
        {"table_name": table_name, "namespace": namespace},
    )


@table.command("tracking-job")
@table_name_option
@namespace_option
@format_option()
def tracking_job(table_name: str, namespace: str) -> None:
    """List the jobs that read a table.

    Example: flow table tracking-job -t breast_hetero_guest -n experiment
    """
    http.post_and_echo(
        "/v1/table/tracking/job", {"table_name": table_name, "namespace": namespace}
    )


@table.command()
@table_name_option
@namespace_option
@click.option(
    "--direction",
    type=click.Choice(["up", "down", "both"]),
    default="up",
    show_default=True,
    help="Follow parents (up), children (down) or both, e.g. down.",
)
@click.option(
    "--depth",
    type=click.IntRange(min=1),
    help="Maximum number of hops (DERIVED_FROM edges) from the table (default "
    "3, at most the service's lineage.max_depth, 100 by default), e.g. 5.",
)
@click.option(
    "--node-budget",
    type=click.IntRange(min=1),
    help="Maximum number of tables in the response, start included (default "
    "1000, at most lineage.max_node_budget, 100000 by default), e.g. 500.",
)
@click.option(
    "--as-of",
    help="Show the lineage as recorded at this time, in ISO 8601 (UTC unless "
    "it has an offset) or milliseconds since the Unix epoch, e.g. "
    "2021-11-03T18:00:00+08:00 or 1635933600000.",
)
@format_option(
    *_RENDERERS,
    extra_help="dot and mermaid print the graph as Graphviz DOT or Mermaid text",
)
def lineage(
    table_name: str,
    namespace: str,
    direction: str,
    depth: int | None,
    node_budget: int | None,
    as_of: str | None,
) -> None:
    """Show the tables a table derives from or feeds, over several hops.

    \b
    Example:
      flow table lineage -t breast_hetero_guest -n experiment \\
          --direction down --format dot | dot -Tsvg > lineage.svg
    """
    body = _given(
        table_name=table_name,
        namespace=namespace,
        direction=direction,
        depth=depth,
        node_budget=node_budget,
        as_of=as_of,
    )
    reply = http.call(load_address(), "POST", "/v1/table/lineage", body)
    output_format = current_format()
    if output_format not in _RENDERERS or reply.get("retcode") != RetCode.SUCCESS:
        http.echo_and_exit(reply, reshape=number_lineage_nodes)
        return

    try:
        text = _RENDERERS[output_format](reply["data"])
    except (KeyError, TypeError) as exc:
        raise click.ClickException(
            f"cannot render the service's response as {output_format}: the field "
            f"{exc} is missing or has the wrong type. Run again with "
            "--format json to see the response."
        ) from exc
    click.echo(text, nl=False)


@table.command()
@table_name_option
@namespace_option
@page_option
@page_size_option
@click.option(
    "--since",
    help="Only jobs created at or after this time (sent as start_time), in ISO "
    "8601 (UTC unless it has an offset) or milliseconds since the Unix epoch, "
    "e.g. 2021-11-01T00:00:00+08:00.",
)
@click.option(
    "--until",
    help="Only jobs created before this time (sent as end_time), in ISO 8601 "
    "or milliseconds since the Unix epoch, e.g. 1635933600000.",
)
@format_option()
def jobs(
    table_name: str,
    namespace: str,
    page: int | None,
    page_size: int | None,
    since: str | None,
    until: str | None,
) -> None:
    """List the jobs that read a table, newest first, one page at a time.

    Example: flow table jobs -t breast_hetero_guest -n experiment --page-size 20
    """
    body = _given(
        table_name=table_name,
        namespace=namespace,
        page=page,
        page_size=page_size,
        start_time=since,
        end_time=until,
    )
    http.post_and_echo("/v1/table/jobs", body)


@table.command("list")
@click.option(
    "--namespace-prefix",
    help="Only tables whose namespace starts with this text (default: all "
    "tables), e.g. output_data_.",
)
@page_option
@page_size_option
@format_option()
def list_tables(
    namespace_prefix: str | None, page: int | None, page_size: int | None
) -> None:
    """List recorded tables, one page at a time.

    Example: flow table list --namespace-prefix experiment --page 1
    """
    body = _given(namespace_prefix=namespace_prefix, page=page, page_size=page_size)
    http.post_and_echo("/v1/table/list", body)


@table.command()
@table_name_option
@namespace_option
@format_option()
def info(table_name: str, namespace: str) -> None:
    """Show the recorded properties of a table, such as origin and row count.

    Example: flow table info -t breast_hetero_guest -n experiment
    """
    http.post_and_echo(
        "/v1/table/table_info", {"table_name": table_name, "namespace": namespace}
    )


def _given(**options: Any) -> dict[str, Any]:
    """Keep the options the user gave, so the service applies its own defaults."""
    return {key: value for key, value in options.items() if value is not None}
