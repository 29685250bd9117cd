"""Plain-text rendering of a service envelope for ``flow --format table``.

Any JSON renders, so a new endpoint needs no code here:

- An object prints the fields that fit one line (scalars, lists of scalars,
  table keys) as aligned ``key  value`` lines. Each other field follows
  under a ``key:`` title, indented by two spaces.
- A list of objects whose fields all fit one line is a table: one column per
  key, headed by the JSON key, in order of first appearance.
- Any other list prints its scalars one per line and each object or list as
  an indented block titled by its index, such as ``[0]:``.

In a cell or a field, null is ``-``, an empty string is ``""``, and an empty
list or object is ``(none)``. A list of scalars is joined by ", ". A table
key, an object of exactly ``namespace`` and ``name``, is ``namespace/name``.
Integers under keys ending in ``_time`` or ``_at``, and under ``as_of`` and
``lease_expiry``, are epoch milliseconds. They print as ISO 8601 in UTC with
milliseconds, a form that ``--as-of``, ``--since`` and ``--until`` accept.
Control characters print as escapes, so a value cannot move the cursor or
change the terminal's colours.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta
from typing import Any

from fate_lineage.errors import RetCode

INDENT = "  "
COLUMN_GAP = "  "
NULL_TEXT = "-"
EMPTY_TEXT = "(none)"

_EPOCH_MS_KEYS = frozenset({"as_of", "lease_expiry"})
_EPOCH_MS_SUFFIXES = ("_time", "_at")
# The end of year 9999, the largest time the service accepts.
_MAX_EPOCH_MS = 253_402_300_799_999
_TABLE_KEY_FIELDS = frozenset({"namespace", "name"})
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def render_envelope(reply: dict[str, Any]) -> str:
    """Render an envelope as text, ending in a newline.

    A failure shows retcode and retmsg first, then its data if any. A success
    shows its data, then retmsg unless it is the plain "success".
    """
    retcode = reply.get("retcode")
    retmsg = reply.get("retmsg")
    data = reply.get("data")
    blocks: list[list[str]] = []

    if retcode != RetCode.SUCCESS:
        blocks.append(_field_lines([("retcode", retcode), ("retmsg", retmsg)]))
        if data is not None:
            blocks.append(render_value(data))
    else:
        if data is not None:
            blocks.append(render_value(data))
        if retmsg != "success":
            blocks.append(_field_lines([("retmsg", retmsg)]))

    lines: list[str] = []
    for block in blocks:
        if lines and block:
            lines.append("")
        lines.extend(block)
    return "\n".join(lines) + "\n"


def render_value(value: Any, key: str = "", depth: int = 0) -> list[str]:
    """Render one JSON value as lines.

    ``key`` names the value for the time rule. Blank lines separate blocks
    only at ``depth`` 0, so nested blocks stay compact under their titles.
    """
    if isinstance(value, dict) and value and not _is_table_key(value):
        return _object_lines(value, depth)
    if isinstance(value, list) and value and not _is_scalar_list(value):
        return _list_lines(value, depth)
    if isinstance(value, list) and value:
        return [cell_text(item) for item in value]
    return [cell_text(value, key)]


def cell_text(value: Any, key: str = "") -> str:
    """Render a value for one cell or one ``key  value`` line."""
    if value is None:
        return NULL_TEXT
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int) and _is_epoch_ms_key(key):
        return _epoch_ms_text(value)
    if isinstance(value, str):
        return _escape(value) if value else '""'
    if isinstance(value, list | dict) and not value:
        return EMPTY_TEXT
    if isinstance(value, list):
        return ", ".join(cell_text(item) for item in value)
    if isinstance(value, dict) and _is_table_key(value):
        return f"{cell_text(value['namespace'])}/{cell_text(value['name'])}"
    if isinstance(value, dict):
        return ", ".join(f"{k}={cell_text(v, k)}" for k, v in value.items())
    return _escape(str(value))


def render_table(rows: list[dict[str, Any]]) -> list[str]:
    """Render rows as a header, a rule of dashes and one line per row.

    The columns are every key of every row, in order of first appearance. A
    row without one of the keys gets ``-`` in that column.
    """
    columns: list[str] = []
    for row in rows:
        columns.extend(key for key in row if key not in columns)
    cells = [[cell_text(row.get(column), column) for column in columns] for row in rows]
    widths = [
        max(_display_width(text) for text in [column, *(line[i] for line in cells)])
        for i, column in enumerate(columns)
    ]
    header = [columns, ["-" * width for width in widths]]
    return [_join_cells(line, widths) for line in [*header, *cells]]


def _object_lines(value: dict[str, Any], depth: int) -> list[str]:
    fields = [(k, v) for k, v in value.items() if _is_inline(v)]
    sections = [(k, v) for k, v in value.items() if not _is_inline(v)]

    lines = _field_lines(fields)
    for key, nested in sections:
        if lines and depth == 0:
            lines.append("")
        lines.append(f"{_escape(key)}:")
        lines.extend(_indent(render_value(nested, key, depth + 1)))
    return lines


def _list_lines(items: list[Any], depth: int) -> list[str]:
    rows_are_flat = all(isinstance(item, dict) and _is_flat_row(item) for item in items)
    if rows_are_flat and any(items):
        return render_table(items)

    lines: list[str] = []
    for index, item in enumerate(items):
        if isinstance(item, dict | list) and item and not _is_table_key(item):
            if lines and depth == 0:
                lines.append("")
            lines.append(f"[{index}]:")
            lines.extend(_indent(render_value(item, depth=depth + 1)))
        else:
            lines.append(cell_text(item))
    return lines


def _field_lines(fields: list[tuple[str, Any]]) -> list[str]:
    if not fields:
        return []
    width = max(_display_width(_escape(key)) for key, _ in fields)
    lines = []
    for key, value in fields:
        padding = " " * (width - _display_width(_escape(key)))
        lines.append(f"{_escape(key)}{padding}{COLUMN_GAP}{cell_text(value, key)}")
    return lines


def _indent(lines: list[str]) -> list[str]:
    return [INDENT + line if line else line for line in lines]


def _join_cells(cells: list[str], widths: list[int]) -> str:
    padded = [
        text + " " * (width - _display_width(text))
        for text, width in zip(cells, widths, strict=True)
    ]
    return COLUMN_GAP.join(padded).rstrip()


def _is_inline(value: Any) -> bool:
    """Tell whether a field fits on one ``key  value`` line."""
    if isinstance(value, dict):
        return not value or _is_table_key(value)
    if isinstance(value, list):
        return _is_scalar_list(value)
    return True


def _is_flat_row(row: dict[str, Any]) -> bool:
    return all(_is_inline(value) for value in row.values())


def _is_scalar_list(value: list[Any]) -> bool:
    return all(not isinstance(item, dict | list) for item in value)


def _is_table_key(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and value.keys() == _TABLE_KEY_FIELDS
        and all(isinstance(part, str) for part in value.values())
    )


def _is_epoch_ms_key(key: str) -> bool:
    return key in _EPOCH_MS_KEYS or key.endswith(_EPOCH_MS_SUFFIXES)


def _epoch_ms_text(value: int) -> str:
    if not 0 <= value <= _MAX_EPOCH_MS:
        return str(value)
    moment = _EPOCH + timedelta(milliseconds=value)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _escape(text: str) -> str:
    """Replace control characters, such as ESC and line breaks, with escapes."""
    if text.isprintable():
        return text
    return "".join(
        char if char.isprintable() else char.encode("unicode_escape").decode("ascii")
        for char in text
    )


def _display_width(text: str) -> int:
    """Count terminal columns: wide East Asian characters take two, marks none."""
    width = 0
    for char in text:
        if unicodedata.combining(char):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def number_lineage_nodes(data: dict[str, Any]) -> dict[str, Any]:
    """Return lineage data whose nodes carry ids n0, n1, ... and whose edges
    name their parent and child by those ids.

    The ids follow the order of ``nodes``. An edge to a table that ``nodes``
    leaves out keeps the table's ``namespace/name``. Raises KeyError or
    TypeError when nodes or edges lack their table keys.
    """
    node_ids: dict[tuple[str, str], str] = {}
    nodes = []
    for index, node in enumerate(data["nodes"]):
        node_id = f"n{index}"
        node_ids[(node["namespace"], node["name"])] = node_id
        nodes.append({"id": node_id, **node})

    edges = []
    for edge in data["edges"]:
        parent, child = edge["parent"], edge["child"]
        rest = {k: v for k, v in edge.items() if k not in ("parent", "child")}
        edges.append(
            {
                "parent": node_ids.get((parent["namespace"], parent["name"]), parent),
                "child": node_ids.get((child["namespace"], child["name"]), child),
                **rest,
            }
        )
    return {**data, "nodes": nodes, "edges": edges}


def list_task_outputs(data: dict[str, Any]) -> dict[str, Any]:
    """Return simulation data with one task row per output table.

    Each row repeats the task's fields, so all tasks fit one table. A task
    without outputs keeps one row. Raises KeyError or TypeError when tasks
    are missing or are not objects.
    """
    rows = []
    for task in data["tasks"]:
        fields = {key: value for key, value in task.items() if key != "outputs"}
        for table in task.get("outputs") or [{}]:
            rows.append({**fields, **table})
    return {**data, "tasks": rows}
