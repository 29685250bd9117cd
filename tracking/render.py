"""Graphviz DOT and Mermaid text of a ``/v1/table/lineage`` response.

Both functions take the envelope's ``data`` dict. Tables become nodes with ids
n0, n1, ... (the start table is n0) and the label "namespace/name". Edges
point from parent to child, the direction in which data flowed, and carry the
component that wrote the child.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping

TableKey = tuple[str, str]

# Control characters, such as the escape that starts a terminal sequence, are
# shown as \x1b. Written raw, they reach the terminal, and click strips what
# looks like a terminal sequence from piped output, quotes and all.
_CONTROL_CHARACTERS = [*range(0x20), *range(0x7F, 0xA0)]
_DOT_ESCAPES = str.maketrans(
    {
        **{chr(code): f"\\\\x{code:02x}" for code in _CONTROL_CHARACTERS},
        "\\": "\\\\",
        '"': '\\"',
        "\n": "\\n",
        "\r": "",
    }
)

# Mermaid decodes "#<decimal>;" entity codes in labels. Quotes would end the
# label, a backslash before "n" becomes a line break, "<" could start an HTML
# tag such as <br>, "`" starts a Markdown string and "#" an entity code.
_MERMAID_ESCAPES = str.maketrans(
    {
        **{chr(code): f"#92;x{code:02x}" for code in _CONTROL_CHARACTERS},
        "#": "#35;",
        '"': "#34;",
        "&": "#38;",
        "<": "#60;",
        ">": "#62;",
        "\\": "#92;",
        "`": "#96;",
        "\n": " ",
        "\r": " ",
        "\t": " ",
    }
)


def to_dot(data: Mapping[str, Any]) -> str:
    """Render the lineage as a Graphviz digraph with the start table in bold."""
    node_ids = _assign_node_ids(data)
    start = _table_key(data["table"])
    lines = ["digraph lineage {"]
    if data.get("truncated"):
        lines.append(f"    // {_truncated_note(data)}")
    lines.append("    rankdir=LR;")
    lines.append("    node [shape=box];")

    for key, node_id in node_ids.items():
        attributes = f'label="{_dot_text(_label(key))}"'
        if key == start:
            attributes += ", style=bold"
        lines.append(f"    {node_id} [{attributes}];")

    for edge in data.get("edges") or []:
        parent = node_ids[_table_key(edge["parent"])]
        child = node_ids[_table_key(edge["child"])]
        label = f"{_dot_text(edge.get('component'))}\\n{_dot_text(edge.get('job_id'))}"
        tooltip = _dot_text(
            f"job {_text(edge.get('job_id'))}, role {_text(edge.get('role'))}, "
            f"party {_text(edge.get('party_id'))}"
        )
        lines.append(f'    {parent} -> {child} [label="{label}", tooltip="{tooltip}"];')

    lines.append("}")
    return "\n".join(lines) + "\n"


def to_mermaid(data: Mapping[str, Any]) -> str:
    """Render the lineage as a Mermaid flowchart with the start table in class start."""
    node_ids = _assign_node_ids(data)
    start = _table_key(data["table"])
    lines = ["flowchart LR"]
    if data.get("truncated"):
        lines.append(f"    %% {_truncated_note(data)}")

    for key, node_id in node_ids.items():
        lines.append(f'    {node_id}["{_mermaid_text(_label(key))}"]')

    for edge in data.get("edges") or []:
        parent = node_ids[_table_key(edge["parent"])]
        child = node_ids[_table_key(edge["child"])]
        label = _mermaid_text(edge.get("component"))
        lines.append(f'    {parent} -->|"{label}"| {child}')

    lines.append("    classDef start stroke-width:3px")
    lines.append(f"    class {node_ids[start]} start")
    return "\n".join(lines) + "\n"


def _assign_node_ids(data: Mapping[str, Any]) -> dict[TableKey, str]:
    """Map each table to a safe identifier, in the order the response lists them.

    Tables that only an edge names still get a node, so no edge points nowhere.
    """
    tables: list[Mapping[str, Any]] = [data["table"], *(data.get("nodes") or [])]
    for edge in data.get("edges") or []:
        tables.extend((edge["parent"], edge["child"]))

    node_ids: dict[TableKey, str] = {}
    for table in tables:
        key = _table_key(table)
        if key not in node_ids:
            node_ids[key] = f"n{len(node_ids)}"
    return node_ids


def _table_key(table: Mapping[str, Any]) -> TableKey:
    return (str(table["namespace"]), str(table["name"]))


def _label(key: TableKey) -> str:
    namespace, name = key
    return f"{namespace}/{name}"


def _truncated_note(data: Mapping[str, Any]) -> str:
    note = (
        "truncated: the service returned part of the lineage "
        f"(depth {_text(data.get('depth'))}, "
        f"node_budget {_text(data.get('node_budget'))})"
    )
    # A line break would end the comment and turn the rest into statements.
    return " ".join(note.split())


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _dot_text(value: object) -> str:
    return _text(value).translate(_DOT_ESCAPES)


def _mermaid_text(value: object) -> str:
    return _text(value).translate(_MERMAID_ESCAPES)
