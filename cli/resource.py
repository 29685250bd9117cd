"""``flow resource``: cores and memory of engines and jobs."""

from __future__ import annotations

from typing import Any

import click

from fate_lineage.cli import http
from fate_lineage.cli.output import format_option

job_id_option = click.option(
    "-j",
    "--job-id",
    required=True,
    help="FATE job ID, e.g. 202111031759294631020.",
)
task_options = (
    click.option(
        "-cpn",
        "--component-name",
        required=True,
        help="Component name in the job DSL, e.g. hetero_lr_0.",
    ),
    click.option(
        "-r", "--role", required=True, help="Role of the task's party, e.g. guest."
    ),
    click.option(
        "-p", "--party-id", required=True, help="Party ID of the task, e.g. 9999."
    ),
)


@click.group()
def resource() -> None:
    """Show and change the cores and memory (MB) that jobs hold.

    Example: flow resource query
    """


@resource.command()
@click.option(
    "--engine-name",
    help="Computing engine to show: STANDALONE, EGGROLL or SPARK; default: "
    "default_engines.computing of the service. E.g. SPARK.",
)
@format_option()
def query(engine_name: str | None) -> None:
    """Show an engine's total and remaining cores and memory (MB), and the
    jobs holding some.

    Example: flow resource query
    """
    body = {"engine_name": engine_name} if engine_name else {}
    http.post_and_echo("/v1/resource/query", body)


@resource.command()
@job_id_option
@format_option()
def apply(job_id: str) -> None:
    """Take the cores and memory of all of a job's parties, or none.

    Example: flow resource apply -j 202111031759294631020
    """
    http.post_and_echo("/v1/resource/apply", {"job_id": job_id})


@resource.command(name="return")
@job_id_option
@click.option(
    "--force",
    is_flag=True,
    help="Return them even if the job is running; its remaining tasks then "
    "have no resources.",
)
@format_option()
def return_(job_id: str, force: bool) -> None:
    """Give a job's cores and memory back.

    Example: flow resource return -j 202111031759294631020
    """
    body: dict[str, Any] = {"job_id": job_id}
    if force:
        body["force"] = True
    http.post_and_echo("/v1/resource/return", body)


@resource.command()
@job_id_option
@format_option()
def heartbeat(job_id: str) -> None:
    """Extend the lease of a job's resources to lease_seconds (600 s by
    default) from now.

    Example: flow resource heartbeat -j 202111031759294631020
    """
    http.post_and_echo("/v1/resource/heartbeat", {"job_id": job_id})


@resource.command()
@format_option()
def reap() -> None:
    """Return the resources of every job whose lease expired.

    Example: flow resource reap
    """
    http.post_and_echo("/v1/resource/reap", {})


@resource.command(name="task-apply")
@job_id_option
@task_options[0]
@task_options[1]
@task_options[2]
@format_option()
def task_apply(job_id: str, component_name: str, role: str, party_id: str) -> None:
    """Take one task's cores and memory from its party's share of the job.

    \b
    Example:
      flow resource task-apply -j 202111031759294631020 -cpn reader_0 \\
          -r guest -p 9999
    """
    body = _task_body(job_id, component_name, role, party_id)
    http.post_and_echo("/v1/resource/task/apply", body)


@resource.command(name="task-return")
@job_id_option
@task_options[0]
@task_options[1]
@task_options[2]
@format_option()
def task_return(job_id: str, component_name: str, role: str, party_id: str) -> None:
    """Give one task's cores and memory back to its party's share.

    \b
    Example:
      flow resource task-return -j 202111031759294631020 -cpn reader_0 \\
          -r guest -p 9999
    """
    body = _task_body(job_id, component_name, role, party_id)
    http.post_and_echo("/v1/resource/task/return", body)


def _task_body(job_id: str, component_name: str, role: str, party_id: str) -> Any:
    return {
        "job_id": job_id,
        "component_name": component_name,
        "role": role,
        "party_id": party_id,
    }
