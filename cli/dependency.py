"""``flow dependency``: the code and environment archives Spark jobs run with."""

from __future__ import annotations

import sys
from typing import Any

import click

from fate_lineage.cli import http
from fate_lineage.cli.config import load_address
from fate_lineage.cli.output import format_option


@click.group()
def dependency() -> None:
    """Upload and inspect the archives that Spark executors unpack.

    Example: flow dependency query
    """


@dependency.command()
@click.option(
    "-t",
    "--type",
    "kind",
    type=click.Choice(["code", "env", "all"]),
    default="all",
    show_default=True,
    help="Which archive to pack and upload: the framework code, the Python "
    "environment, or both, e.g. code.",
)
@format_option()
def upload(kind: str) -> None:
    """Pack the code and/or environment on the service node and store each
    new version once; an unchanged version is not uploaded again.

    On a terminal, a progress bar shows the files packed.

    Example: flow dependency upload -t code
    """
    body = {"type": kind}
    if not sys.stdout.isatty():
        http.post_and_echo("/v1/dependency/upload", body, http.LONG_TIMEOUT_SECONDS)
        return
    final: dict[str, Any] | None = None
    bars: dict[str, Any] = {}
    try:
        for line in http.stream_lines(load_address(), "/v1/dependency/upload", body):
            if "progress" in line:
                _advance(bars, line["progress"])
            else:
                final = line
    finally:
        for bar in bars.values():
            bar.render_finish()
    http.echo_and_exit(final if final is not None else http.no_final_line())


@dependency.command()
@format_option()
def query() -> None:
    """List the stored archives: type, version, size (bytes), path, time.

    Example: flow dependency query
    """
    http.post_and_echo("/v1/dependency/query", {})


@dependency.command()
@click.option(
    "-j", "--job-id", required=True, help="FATE job ID, e.g. 202111031759294631020."
)
@format_option()
def check(job_id: str) -> None:
    """Show a job's archives, whether they are stored, and the spark-submit
    options that hand them to the executors.

    Example: flow dependency check -j 202111031759294631020
    """
    http.post_and_echo("/v1/dependency/check", {"job_id": job_id})


def _advance(bars: dict[str, Any], progress: dict[str, Any]) -> None:
    kind = progress["type"]
    if kind not in bars:
        bars[kind] = click.progressbar(
            length=progress["total"], label=f"packing {kind}", file=sys.stderr
        )
    bar = bars[kind]
    bar.update(progress["done"] - bar.pos)
