"""``flow openlineage send``: post OpenLineage events from files."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import click

from fate_lineage.cli import http
from fate_lineage.cli.config import load_address
from fate_lineage.cli.output import format_option

BATCH_PATH = "/api/v1/lineage/batch"
# The service takes at most 1000 events and 8 MiB per batch request; half the
# size leaves room for the JSON around the events.
BATCH_SIZE = 1000
BATCH_BYTES = 4 * 1024 * 1024


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
    """Send the events of each file, in order, in batches.

    A batch holds up to 1000 events and 4 MiB of JSON. Prints the counts
    received, succeeded and failed, and for each failed event its position
    across all files and the reason. A batch that gets no counts back, such
    as a body over the service's limit or a backend that is down, stops the
    run, and the output gives how many events were recorded before it. Exits 1 when any
    event failed.

    Example: flow openlineage send -f dag_run.json -f spark_events.jsonl
    """
    events = [event for path in files for event in _read_events(path)]
    counts = {"received": 0, "succeeded": 0, "failed": 0}
    failures: list[dict[str, Any]] = []
    retcode = 0
    for first, batch in _batches(events):
        reply = http.call(load_address(), "POST", BATCH_PATH, batch)
        data = reply.get("data")
        if not isinstance(data, dict) or "received" not in data:
            _stop(reply, counts, failures, first, len(events))
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


def _batches(events: list[Any]) -> Iterator[tuple[int, list[Any]]]:
    """Yield each batch with the index of its first event.

    A batch ends at BATCH_SIZE events or before it would pass BATCH_BYTES of
    JSON; an event larger than that goes alone, and the service judges it.
    """
    first, size = 0, 0
    batch: list[Any] = []
    for index, event in enumerate(events):
        length = len(json.dumps(event).encode())
        if batch and (len(batch) == BATCH_SIZE or size + length > BATCH_BYTES):
            yield first, batch
            first, batch, size = index, [], 0
        batch.append(event)
        size += length
    if batch:
        yield first, batch


def _stop(
    reply: dict[str, Any],
    counts: dict[str, int],
    failures: list[dict[str, Any]],
    first: int,
    total: int,
) -> NoReturn:
    """Print why a batch got no counts, with what was recorded before it."""
    retmsg = (
        f"{reply.get('retmsg')}; the batch from event {first} on was not "
        f"recorded and later ones were not sent ({counts['succeeded']} of "
        f"{total} events were recorded before it)"
    )
    data = {**counts, "failures": failures, "not_sent_from": first}
    http.echo_and_exit(
        {"retcode": reply.get("retcode"), "retmsg": retmsg, "data": data}
    )
    raise SystemExit(1)


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
