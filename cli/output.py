"""The output format of ``flow``: FATE Flow's JSON by default, or text tables.

Each command takes ``--format``, and so does the ``flow`` group, for every
command after it. A command's own option wins over the group's, which wins
over FATE_LINEAGE_FLOW_FORMAT. Without any of them the format is json, so
scripts written for FATE Flow keep their output.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import click

from fate_lineage.cli import tabular
from fate_lineage.errors import RetCode

FORMAT_VARIABLE = "FATE_LINEAGE_FLOW_FORMAT"
FORMATS = ("json", "table")
DEFAULT_FORMAT = "json"

# Keys in click's Context.meta, which every nested context shares.
_GROUP_KEY = "fate_lineage.group_format"
_COMMAND_KEY = "fate_lineage.command_format"

Decorated = TypeVar("Decorated", bound=Callable[..., Any])


def format_option(
    *extra_formats: str, extra_help: str = ""
) -> Callable[[Decorated], Decorated]:
    """Add ``--format`` to a command.

    ``extra_formats`` are renderings of the command's own, which
    ``extra_help`` describes. The value is not passed to the command:
    ``current_format`` returns it.
    """
    described = "json prints the envelope as FATE Flow does, table prints "
    described += "aligned columns for reading"
    if extra_help:
        described += f", {extra_help}"
    return click.option(
        "--format",
        type=click.Choice([*FORMATS, *extra_formats]),
        expose_value=False,
        callback=_store_command_format,
        help=f"Output format: {described}. Default: the format given to "
        f"`flow`, else {FORMAT_VARIABLE}, else json.",
    )


def group_format_option() -> Callable[[Decorated], Decorated]:
    """Add ``--format`` to the ``flow`` group, read from FORMAT_VARIABLE if unset."""
    return click.option(
        "--format",
        type=click.Choice(FORMATS),
        envvar=FORMAT_VARIABLE,
        show_envvar=True,
        expose_value=False,
        callback=_store_group_format,
        help="Output format of every command: json (default) or table. A "
        "command's own --format overrides it.",
    )


def current_format() -> str:
    """Return the format that applies to the running command."""
    context = click.get_current_context(silent=True)
    if context is None:
        return DEFAULT_FORMAT
    meta = context.meta
    return str(meta.get(_COMMAND_KEY) or meta.get(_GROUP_KEY) or DEFAULT_FORMAT)


def echo_reply(
    reply: dict[str, Any],
    reshape: Callable[[Any], Any] | None = None,
) -> None:
    """Print the envelope in the current format.

    ``reshape`` rewrites a successful reply's data for the table format only.
    When the data has the wrong shape, its KeyError or TypeError becomes a
    ClickException that suggests --format json.
    """
    if current_format() != "table":
        click.echo(json.dumps(reply, indent=4, ensure_ascii=False))
        return

    if reshape is not None and reply.get("retcode") == RetCode.SUCCESS:
        try:
            reply = {**reply, "data": reshape(reply.get("data"))}
        except (KeyError, TypeError) as exc:
            raise click.ClickException(
                f"cannot render the service's response as a table: the field "
                f"{exc} is missing or has the wrong type. Run again with "
                "--format json to see the response."
            ) from exc
    click.echo(tabular.render_envelope(reply), nl=False)


def _store_command_format(
    context: click.Context, _: click.Parameter, value: str | None
) -> None:
    if value is not None:
        context.meta[_COMMAND_KEY] = value


def _store_group_format(
    context: click.Context, _: click.Parameter, value: str | None
) -> None:
    if value is not None:
        context.meta[_GROUP_KEY] = value
