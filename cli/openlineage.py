"""``flow openlineage send``: post OpenLineage events from files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from fate_lineage.cli import http
from fate_lineage.cli.config import load_address
from fate_lineage.cli.output import format_option

BATCH_PATH = "/api/v1/lineage/batch"
# The service takes at most this many events per batch request.
BATCH_SIZE = 1000


@click.group()
def openlineage() -> None:
    """Send OpenLineage events to the service.

    Example: flow openlineage send -f events.json
    """


@openlineage.command()
@click.option(
    "-f",
    "--file",
    "files",
    required=True,
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A JSON file with one event, a JSON array of events, or one event "
    "per line (JSON Lines); repeat -f for more files, e.g. -f run.json.",
)
@format_option()
def send(files: tuple[Path, ...]) -> None:
    """Send the events of each file, in order, in batches of up to 1000.

    Prints the counts received, succeeded and failed, and for each failed
    event its position across all files and the reason. Exits 1 when any
    event failed.

    Example: flow openlineage send -f dag_run.json -f spark_events.jsonl
    """
    events = [event for path in files for event in _read_events(path)]
    counts = {"received": 0, "succeeded": 0, "failed": 0}
    failures: list[dict[str, Any]] = []
    retcode = 0
    for first in range(0, len(events), BATCH_SIZE):
        reply = http.call(
            load_address(), "POST", BATCH_PATH, events[first : first + BATCH_SIZE]
        )
        data = reply.get("data")
        if not isinstance(data, dict) or "received" not in data:
            http.echo_and_exit(reply)
            return
        for key in counts:
            counts[key] += data[key]
        failures += [
            {**failure, "index": failure["index"] + first}
            for failure in data["failures"]
        ]
        retcode = retcode or reply["retcode"]
    retmsg = "success"
    if failures:
        retmsg = (
            f"{len(failures)} of {counts['received']} events were rejected; "
            "see data.failures"
        )
    http.echo_and_exit(
        {"retcode": retcode, "retmsg": retmsg, "data": {**counts, "failures": failures}}
    )


def _read_events(path: Path) -> list[Any]:
    text = path.read_text(encoding="utf-8")
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError:
        return [_parse_line(path, number, line) for number, line in _lines(text)]
    return parsed if isinstance(parsed, list) else [parsed]


def _lines(text: str) -> list[tuple[int, str]]:
    return [
        (number, line)
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip()
    ]


def _parse_line(path: Path, number: int, line: str) -> Any:
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(
            f"{path} is neither JSON nor JSON Lines: line {number}: {exc.msg}",
            param_hint="-f/--file",
        ) from None
