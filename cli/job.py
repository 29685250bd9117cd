"""``flow job``: record FATE jobs and their status."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from fate_lineage.cli import http
from fate_lineage.cli.config import load_address
from fate_lineage.cli.files import read_json_object
from fate_lineage.cli.output import format_option
from fate_lineage.cli.tabular import list_task_outputs

JOB_STATUSES = ("waiting", "running", "success", "failed", "canceled")

job_id_option = click.option(
    "-j",
    "--job-id",
    required=True,
    help="FATE job ID, e.g. 202111031759294631020.",
)


@click.group()
def job() -> None:
    """Record FATE jobs and their status.

    Example: flow job query -j 202111031759294631020
    """


@job.command()
@click.option(
    "-d",
    "--dsl-path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Job DSL JSON, e.g. hetero_lr_normal_dsl.json.",
)
@click.option(
    "-c",
    "--conf-path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Job runtime conf JSON, e.g. hetero_lr_normal_conf.json.",
)
@click.option(
    "-j",
    "--job-id",
    help="Job ID to record the job under, 1 to 64 letters, digits, _ or -, "
    "e.g. 202111031759294631020; without it the service assigns one.",
)
@format_option()
def submit(dsl_path: Path, conf_path: Path, job_id: str | None) -> None:
    """Record a job from its DSL and runtime conf.

    \b
    Example:
      flow job submit -d hetero_lr_normal_dsl.json -c hetero_lr_normal_conf.json
    """
    body: dict[str, Any] = {
        "dsl": read_json_object(dsl_path),
        "runtime_conf": read_json_object(conf_path),
    }
    if job_id is not None:
        body["job_id"] = job_id
    # A Spark job may wait for its dependency archives to be packed.
    http.post_and_echo("/v1/job/submit", body, http.LONG_TIMEOUT_SECONDS)


@job.command()
@job_id_option
@format_option()
def query(job_id: str) -> None:
    """Show a recorded job.

    Example: flow job query -j 202111031759294631020
    """
    http.post_and_echo("/v1/job/query", {"job_id": job_id})


@job.command()
@job_id_option
@click.option(
    "-s",
    "--status",
    required=True,
    type=click.Choice(JOB_STATUSES),
    help="New status of the job, e.g. running.",
)
@format_option()
def update(job_id: str, status: str) -> None:
    """Set the status of a recorded job.

    Example: flow job update -j 202111031759294631020 -s success
    """
    http.post_and_echo("/v1/job/update", {"job_id": job_id, "status": status})


@job.command()
@job_id_option
@format_option()
def stop(job_id: str) -> None:
    """Mark a recorded job as canceled.

    Example: flow job stop -j 202111031759294631020
    """
    http.post_and_echo("/v1/job/stop", {"job_id": job_id})


@job.command()
@job_id_option
@format_option()
def simulate(job_id: str) -> None:
    """Simulate a recorded job on the service and list its tasks.

    Example: flow job simulate -j 202111031759294631020
    """
    reply = http.call(load_address(), "POST", "/v1/job/simulate", {"job_id": job_id})
    http.echo_and_exit(reply, reshape=list_task_outputs)
