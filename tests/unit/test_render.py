from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from fate_lineage.tracking.render import to_dot, to_mermaid

Render = Callable[[dict[str, Any]], str]


def _table(name: str, namespace: str = "experiment") -> dict[str, str]:
    return {"namespace": namespace, "name": name}


def _node(name: str, side: str, hops: int, origin: str) -> dict[str, Any]:
    return {**_table(name), "side": side, "hops": hops, "origin": origin}


def _edge(child: str, parent: str, job_id: str, component: str) -> dict[str, Any]:
    return {
        "child": _table(child),
        "parent": _table(parent),
        "job_id": job_id,
        "component": component,
        "role": "guest",
        "party_id": 9999,
    }


def _diamond(truncated: bool = False) -> dict[str, Any]:
    """Return t with parents a and b, which both derive from the upload root."""
    return {
        "table": _table("t"),
        "direction": "up",
        "depth": 3,
        "node_budget": 1000,
        "as_of": None,
        "truncated": truncated,
        "nodes": [
            _node("t", "self", 0, "output"),
            _node("a", "up", 1, "output"),
            _node("b", "up", 1, "output"),
            _node("root", "up", 2, "upload"),
        ],
        "edges": [
            _edge("t", "a", "202201", "union_0"),
            _edge("t", "b", "202201", "union_0"),
            _edge("a", "root", "202101", "split_0"),
            _edge("b", "root", "202101", "split_0"),
        ],
    }


DIAMOND_DOT = """\
digraph lineage {
    rankdir=LR;
    node [shape=box];
    n0 [label="experiment/t", style=bold];
    n1 [label="experiment/a"];
    n2 [label="experiment/b"];
    n3 [label="experiment/root"];
    n1 -> n0 [label="union_0\\n202201", tooltip="job 202201, role guest, party 9999"];
    n2 -> n0 [label="union_0\\n202201", tooltip="job 202201, role guest, party 9999"];
    n3 -> n1 [label="split_0\\n202101", tooltip="job 202101, role guest, party 9999"];
    n3 -> n2 [label="split_0\\n202101", tooltip="job 202101, role guest, party 9999"];
}
"""

DIAMOND_MERMAID = """\
flowchart LR
    n0["experiment/t"]
    n1["experiment/a"]
    n2["experiment/b"]
    n3["experiment/root"]
    n1 -->|"union_0"| n0
    n2 -->|"union_0"| n0
    n3 -->|"split_0"| n1
    n3 -->|"split_0"| n2
    classDef start stroke-width:3px
    class n0 start
"""


def test_dot_of_diamond() -> None:
    assert to_dot(_diamond()) == DIAMOND_DOT


def test_mermaid_of_diamond() -> None:
    assert to_mermaid(_diamond()) == DIAMOND_MERMAID


@pytest.mark.parametrize(
    ("render", "comment"),
    [
        pytest.param(to_dot, "    // ", id="dot"),
        pytest.param(to_mermaid, "    %% ", id="mermaid"),
    ],
)
def test_truncated_answer_has_comment(render: Render, comment: str) -> None:
    lines = render(_diamond(truncated=True)).splitlines()
    notes = [line for line in lines if line.startswith(comment + "truncated")]

    assert notes == [
        f"{comment}truncated: the service returned part of the lineage "
        "(depth 3, node_budget 1000)"
    ]


@pytest.mark.parametrize(
    "render",
    [pytest.param(to_dot, id="dot"), pytest.param(to_mermaid, id="mermaid")],
)
def test_complete_answer_has_no_truncated_comment(render: Render) -> None:
    assert "truncated" not in render(_diamond())


QUOTED = {
    "table": _table('say "hi" \\ back', namespace="ns#1"),
    "truncated": False,
    "nodes": [],
    "edges": [
        {
            "child": _table('say "hi" \\ back', namespace="ns#1"),
            "parent": _table("<br>a&b`c", namespace="ns\nx"),
            "job_id": 'j"1',
            "component": 'reader "0"',
            "role": "host",
            "party_id": "10000",
        }
    ],
}


@pytest.mark.parametrize(
    "line",
    [
        pytest.param(
            '    n0 [label="ns#1/say \\"hi\\" \\\\ back", style=bold];', id="quotes"
        ),
        pytest.param('    n1 [label="ns\\nx/<br>a&b`c"];', id="newline"),
        pytest.param(
            '    n1 -> n0 [label="reader \\"0\\"\\nj\\"1", '
            'tooltip="job j\\"1, role host, party 10000"];',
            id="edge",
        ),
    ],
)
def test_dot_escapes_text(line: str) -> None:
    assert line in to_dot(QUOTED).splitlines()


@pytest.mark.parametrize(
    "line",
    [
        pytest.param('    n0["ns#35;1/say #34;hi#34; #92; back"]', id="quotes"),
        pytest.param('    n1["ns x/#60;br#62;a#38;b#96;c"]', id="html-and-newline"),
        pytest.param('    n1 -->|"reader #34;0#34;"| n0', id="edge"),
    ],
)
def test_mermaid_escapes_text(line: str) -> None:
    assert line in to_mermaid(QUOTED).splitlines()


ESCAPE_SEQUENCE = {
    "table": _table('z\x1b["]; evil [URL="x"]; n8 [label=\x1b["', namespace="n"),
    "truncated": False,
    "nodes": [],
    "edges": [],
}


@pytest.mark.parametrize(
    ("render", "line"),
    [
        pytest.param(
            to_dot,
            '    n0 [label="n/z\\\\x1b[\\"]; evil [URL=\\"x\\"]; '
            'n8 [label=\\\\x1b[\\"", style=bold];',
            id="dot",
        ),
        pytest.param(
            to_mermaid,
            '    n0["n/z#92;x1b[#34;]; evil [URL=#34;x#34;]; n8 [label=#92;x1b[#34;"]',
            id="mermaid",
        ),
    ],
)
def test_control_characters_are_shown_escaped(render: Render, line: str) -> None:
    text = render(ESCAPE_SEQUENCE)

    assert "\x1b" not in text
    assert line in text.splitlines()


@pytest.mark.parametrize(
    ("render", "pattern"),
    [
        pytest.param(to_dot, r"\s+(\S+) \[label=", id="dot"),
        pytest.param(to_mermaid, r"\s+(\S+)\[\"", id="mermaid"),
    ],
)
def test_node_ids_are_identifiers(render: Render, pattern: str) -> None:
    ids = [
        match.group(1)
        for line in render(QUOTED).splitlines()
        if (match := re.match(pattern, line))
    ]

    assert ids == ["n0", "n1"]


def test_table_named_only_by_edge_gets_node() -> None:
    data = {**_diamond(), "nodes": [_node("t", "self", 0, "output")]}

    lines = to_mermaid(data).splitlines()

    assert '    n3["experiment/root"]' in lines
    assert '    n3 -->|"split_0"| n1' in lines


def test_start_table_marked_when_not_first_node() -> None:
    data = _diamond()
    data["nodes"] = list(reversed(data["nodes"]))

    assert '    n0 [label="experiment/t", style=bold];' in to_dot(data).splitlines()
