"""``flow tracking``: record and list the output tables of a component."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from fate_lineage.cli import http
from fate_lineage.cli.files import read_json_object
from fate_lineage.cli.output import format_option


def _task_options(command: Any) -> Any:
    """Add FATE's four options that name one task of a job."""
    options = [
        click.option(
            "-j",
            "--job-id",
            required=True,
            help="FATE job ID, e.g. 202111031759294631020.",
        ),
        click.option(
            "-r",
            "--role",
            required=True,
            help="Role of the party that ran the task, e.g. guest.",
        ),
        click.option(
            "-p",
            "--party-id",
            required=True,
            help="Party ID that ran the task, e.g. 9999.",
        ),
        click.option(
            "-cpn",
            "--component-name",
            required=True,
            help="Component name in the job DSL, e.g. hetero_lr_0.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@click.group()
def tracking() -> None:
    """Record and list the output tables of a component.

    \b
    Example:
      flow tracking output-data-table -j 202111031759294631020 -r guest \\
          -p 9999 -cpn hetero_lr_0
    """


@tracking.command("output-data-table")
@_task_options
@format_option()
def output_data_table(
    job_id: str, role: str, party_id: str, component_name: str
) -> None:
    """List the output tables of a component.

    \b
    Example:
      flow tracking output-data-table -j 202111031759294631020 -r guest \\
          -p 9999 -cpn hetero_lr_0
    """
    body = _task_body(job_id, role, party_id, component_name)
    http.post_and_echo("/v1/tracking/component/output/data/table", body)


@tracking.command()
@_task_options
@click.option(
    "-c",
    "--conf-path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="JSON object whose keys, such as task_version, inputs and outputs, are "
    "added to the report, e.g. report.json.",
)
@format_option()
def report(
    job_id: str,
    role: str,
    party_id: str,
    component_name: str,
    conf_path: Path | None,
) -> None:
    """Record which tables a component read and wrote.

    \b
    Example:
      flow tracking report -j 202111031759294631020 -r guest -p 9999 \\
          -cpn hetero_lr_0 -c report.json
    """
    task = _task_body(job_id, role, party_id, component_name)
    extra = read_json_object(conf_path) if conf_path is not None else {}
    conflicting = [
        key for key, value in task.items() if key in extra and str(extra[key]) != value
    ]
    if conflicting:
        raise click.UsageError(
            f"{conf_path} sets {', '.join(conflicting)} to a value that differs "
            "from the option. Remove the key from the file or change the option."
        )
    http.post_and_echo("/v1/tracking/component/output/data/report", {**extra, **task})


def _task_body(
    job_id: str, role: str, party_id: str, component_name: str
) -> dict[str, Any]:
    # party_id stays a string, as FATE Flow's CLI sends it.
    return {
        "job_id": job_id,
        "role": role,
        "party_id": party_id,
        "component_name": component_name,
    }
