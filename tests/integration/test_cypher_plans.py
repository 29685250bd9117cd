"""Every lineage statement starts from an index, never from a scan."""

from __future__ import annotations

from typing import Any

import pytest

from fate_lineage import cypher
from fate_lineage.graph.driver import SCHEMA_STATEMENTS, Neo4jGraph

# Operators that read every node, or every node of a label.
SCANS = {"AllNodesScan", "NodeByLabelScan", "UnionNodeByLabelsScan"}
NOT_PLANNED = {*SCHEMA_STATEMENTS, "find_server_version"}


def operators(plan: dict[str, Any]) -> set[str]:
    found = {plan["operatorType"].split("@")[0]}
    for child in plan.get("children", []):
        found |= operators(child)
    return found


@pytest.mark.parametrize(
    "name", [name for name in cypher.names() if name not in NOT_PLANNED]
)
def test_statement_uses_index(graph: Neo4jGraph, name: str) -> None:
    with graph.driver.session(database=graph.database) as session:
        summary = session.run("EXPLAIN " + cypher.load(name)).consume()

    assert summary.plan is not None
    used = operators(summary.plan)
    assert not used & SCANS, f"{name} plans {sorted(used & SCANS)}: {sorted(used)}"
