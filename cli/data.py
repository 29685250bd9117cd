"""``flow data upload``: register uploaded tables with their columns and row count.

The CLI reads the upload file on this machine and sends only its path, header
and row count, so the service never receives table data.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from fate_lineage.cli import http
from fate_lineage.cli.config import ServerAddress, load_address
from fate_lineage.cli.files import read_json_object
from fate_lineage.cli.output import format_option
from fate_lineage.errors import RetCode
from fate_lineage.tracking.uploads import describe_csv

UPLOAD_PATH = "/v1/data/upload"

# Keys of FATE's upload conf that the endpoint stores as given.
_FORWARDED_KEYS = ("head", "partition", "id_delimiter")


@dataclass(frozen=True)
class _UploadConf:
    """One validated upload conf: the request body before the file is read."""

    body: dict[str, Any]
    file: Path | None
    head: bool
    delimiter: str
    count: int | None


@click.group()
def data() -> None:
    """Register data uploads.

    Example: flow data upload -c upload_conf.json
    """


@data.command()
@click.option(
    "-c",
    "--conf-path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="FATE upload conf JSON with file, table_name, namespace, head, "
    'partition and id_delimiter, or a batch file {"data": [conf, ...]}, '
    "e.g. upload_conf.json.",
)
@format_option()
def upload(conf_path: Path) -> None:
    """Register an uploaded table, or each table of a batch file.

    When the conf's file exists on this machine (a relative path is taken from
    the current directory), its columns and row count are sent as well.

    Example: flow data upload -c upload_conf.json
    """
    document = read_json_object(conf_path)
    batch = document.get("data")
    if not isinstance(batch, list):
        conf = _validate_conf(document, str(conf_path))
        http.echo_and_exit(_send(load_address(), conf))
        return

    if not batch:
        raise click.UsageError(f"{conf_path}: data is an empty list. Add upload confs.")
    confs = [
        _validate_conf(item, f"{conf_path}, data[{index}]")
        for index, item in enumerate(batch)
    ]
    address = load_address()
    results = [_batch_item(conf, _send(address, conf)) for conf in confs]
    http.echo_and_exit(_batch_envelope(results))


def _validate_conf(conf: object, where: str) -> _UploadConf:
    """Check the keys the CLI uses, raising a UsageError that names ``where``."""
    if not isinstance(conf, dict):
        raise click.UsageError(f"{where}: an upload conf must be a JSON object")
    for key in ("table_name", "namespace"):
        if not isinstance(conf.get(key), str) or not conf[key]:
            raise click.UsageError(
                f"{where}: missing or empty key {key!r}. An upload conf needs "
                "table_name and namespace."
            )

    # FATE Flow's UploadParam defaults head to 1 and accepts only 0 or 1.
    head = conf.get("head", 1)
    if not isinstance(head, int) or head not in (0, 1):
        raise click.UsageError(f"{where}: key 'head' must be 0 or 1, not {head!r}")
    delimiter = conf.get("id_delimiter", ",")
    if not isinstance(delimiter, str) or not delimiter:
        raise click.UsageError(
            f"{where}: key 'id_delimiter' must be a non-empty string, e.g. \",\""
        )

    body = {"table_name": conf["table_name"], "namespace": conf["namespace"]}
    body.update({key: conf[key] for key in _FORWARDED_KEYS if key in conf})
    file = _absolute_file(conf, where)
    if file is not None:
        body["file"] = str(file)
    return _UploadConf(
        body=body,
        file=file,
        head=bool(head),
        delimiter=delimiter,
        count=_conf_count(conf, where),
    )


def _absolute_file(conf: dict[str, Any], where: str) -> Path | None:
    if "file" not in conf:
        return None
    file = conf["file"]
    if not isinstance(file, str) or not file:
        raise click.UsageError(f"{where}: key 'file' must be a non-empty path string")
    return Path(os.path.abspath(file))


def _conf_count(conf: dict[str, Any], where: str) -> int | None:
    """Return the row count that FATE's testsuite configs give as "count"."""
    count = conf.get("count")
    if count is None:
        return None
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise click.UsageError(
            f"{where}: key 'count' must be a non-negative integer, not {count!r}"
        )
    return count


def _send(address: ServerAddress, conf: _UploadConf) -> dict[str, Any]:
    """Post one upload conf, with the file's columns and row count if it is here."""
    body = dict(conf.body)
    note = _add_file_summary(body, conf)
    reply = http.call(address, "POST", UPLOAD_PATH, body)
    if note is None:
        return reply
    retmsg = reply.get("retmsg")
    return {**reply, "retmsg": f"{retmsg}. {note}" if retmsg else note}


def _add_file_summary(body: dict[str, Any], conf: _UploadConf) -> str | None:
    """Put columns and row_count into ``body``, or return why they are missing."""
    if conf.file is None:
        note = "The conf has no file, so columns and row count were not recorded."
    elif not conf.file.is_file():
        note = (
            f"File {conf.file} was not found on this machine, so columns and row "
            "count were not recorded."
        )
    else:
        try:
            summary = describe_csv(conf.file, conf.head, conf.delimiter)
        except (OSError, ValueError) as exc:
            note = (
                f"Cannot read file {conf.file} ({exc}), so columns and row count "
                "were not recorded."
            )
        else:
            body["columns"] = list(summary.columns)
            body["row_count"] = summary.row_count
            return None

    if conf.count is not None:
        body["row_count"] = conf.count
        note += f" The row count {conf.count} was taken from the conf's count."
    return note


def _batch_item(conf: _UploadConf, reply: dict[str, Any]) -> dict[str, Any]:
    """Name the table in a batch result, since a failed reply may carry no data."""
    return {
        "table_name": conf.body["table_name"],
        "namespace": conf.body["namespace"],
        "retcode": reply.get("retcode"),
        "retmsg": reply.get("retmsg"),
        "data": reply.get("data"),
    }


def _batch_envelope(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Combine the results of a batch under the retcode of its first failure."""
    failed = [item for item in results if item["retcode"] != RetCode.SUCCESS]
    retmsg = f"registered {len(results) - len(failed)} of {len(results)} tables"
    if failed:
        names = ", ".join(
            f"{item['namespace']}/{item['table_name']}" for item in failed
        )
        retmsg += f", failed: {names}"
    retcode = failed[0]["retcode"] if failed else RetCode.SUCCESS
    return {"retcode": retcode, "retmsg": retmsg, "data": results}
