"""Help texts and ``--version`` of ``flow``."""

from __future__ import annotations

import re
from importlib.metadata import version

import click
import pytest
from click.testing import CliRunner

from fate_lineage import __version__
from fate_lineage.cli.main import flow


def _all_commands(
    command: click.Command, path: tuple[str, ...] = ("flow",)
) -> list[tuple[str, click.Command]]:
    commands = [(" ".join(path), command)]
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            commands.extend(_all_commands(sub, (*path, name)))
    return commands


COMMANDS = _all_commands(flow)


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[p for p, _ in COMMANDS])
def test_help_has_example(path: str, command: click.Command) -> None:
    assert command.help, f"{path} has no help"
    assert re.search(rf"Example:\s+{re.escape(path)}\b", command.help), (
        f"{path}'s help has no line 'Example: {path} ...'"
    )


OPTIONS = [
    (f"{path} {param.opts[-1]}", param)
    for path, command in COMMANDS
    for param in command.params
    if isinstance(param, click.Option)
]


@pytest.mark.parametrize(("name", "option"), OPTIONS, ids=[n for n, _ in OPTIONS])
def test_option_has_help(name: str, option: click.Option) -> None:
    assert option.help, f"{name} has no help"
    assert option.help.rstrip().endswith("."), f"{name}'s help is not a sentence"


@pytest.mark.parametrize(
    ("path", "option", "unit"),
    [
        pytest.param("flow table lineage", "--depth", "hops", id="depth"),
        pytest.param("flow table lineage", "--node-budget", "tables", id="node-budget"),
        pytest.param(
            "flow table lineage",
            "--as-of",
            "milliseconds since the Unix epoch",
            id="as-of",
        ),
        pytest.param(
            "flow table jobs",
            "--since",
            "milliseconds since the Unix epoch",
            id="since",
        ),
        pytest.param(
            "flow table jobs",
            "--until",
            "milliseconds since the Unix epoch",
            id="until",
        ),
        pytest.param("flow table list", "--page-size", "items", id="page-size"),
        pytest.param("flow init", "--port", "1 to 65535", id="port"),
    ],
)
def test_option_help_names_unit(path: str, option: str, unit: str) -> None:
    command = dict(COMMANDS)[path]
    [param] = [p for p in command.params if option in p.opts]

    assert isinstance(param, click.Option)
    assert param.help is not None
    assert unit in param.help


@pytest.mark.parametrize(
    ("path", "unit"),
    [
        pytest.param("flow resource", "MB", id="resource"),
        pytest.param("flow resource query", "MB", id="resource-query"),
        pytest.param("flow resource heartbeat", "600 s", id="heartbeat"),
        pytest.param("flow dependency query", "bytes", id="dependency-query"),
    ],
)
def test_command_help_names_unit(path: str, unit: str) -> None:
    help_text = dict(COMMANDS)[path].help

    assert help_text is not None
    assert unit in " ".join(help_text.split())


def test_version_prints_package_version() -> None:
    result = CliRunner().invoke(flow, ["--version"])

    assert result.exit_code == 0
    assert result.output == f"flow, version {__version__}\n"


def test_version_matches_installed_metadata() -> None:
    assert __version__ == version("fate-lineage")
