"""The breadth-first walk and the source rule, over an in-memory graph."""

from __future__ import annotations

import pytest

from fate_lineage.tracking.sources import FetchHop, Hop, Walk, find_sources, walk

# child -> parents
Edges = dict[str, list[str]]


def fetcher(edges: Edges, calls: list[list[str]]) -> FetchHop:
    def fetch(ids: list[str]) -> list[Hop]:
        calls.append(list(ids))
        return [
            Hop(child, parent, {"namespace": "n", "name": parent}, {"job_id": "j"})
            for child in ids
            for parent in edges.get(child, [])
        ]

    return fetch


def walk_up(edges: Edges, start: str, depth: int = 50, budget: int = 100) -> Walk:
    return walk(
        start, {"namespace": "n", "name": start}, fetcher(edges, []), depth, budget
    )


def pairs(
    edges: Edges, start: str, **limits: int
) -> tuple[list[tuple[str, str]], bool]:
    found, complete = find_sources(walk_up(edges, start, **limits))
    return [(pair.parent_id, pair.source_id) for pair in found], complete


def test_walk_visits_diamond_once() -> None:
    calls: list[list[str]] = []
    edges = {"d": ["b", "c"], "b": ["a"], "c": ["a"]}

    result = walk("d", {"name": "d"}, fetcher(edges, calls), 10, 100)

    assert set(result.tables) == {"a", "b", "c", "d"}
    assert len(result.edges) == 4
    assert calls == [["d"], ["b", "c"], ["a"]]


def test_walk_stops_in_cycle() -> None:
    calls: list[list[str]] = []
    edges = {"a": ["b"], "b": ["c"], "c": ["a"]}

    result = walk("a", {"name": "a"}, fetcher(edges, calls), 50, 100)

    assert set(result.tables) == {"a", "b", "c"}
    assert len(result.edges) == 3
    assert len(calls) == 3


def test_walk_depth_limit() -> None:
    edges = {"e": ["d"], "d": ["c"], "c": ["b"], "b": ["a"]}

    result = walk_up(edges, "e", depth=2)

    assert result.hops_away == {"e": 0, "d": 1, "c": 2}
    assert result.expanded == {"e", "d"}
    assert result.truncated is False


def test_walk_budget_keeps_first_by_key() -> None:
    edges = {"z": ["p3", "p1", "p2"]}

    result = walk_up(edges, "z", budget=3)

    assert set(result.tables) == {"z", "p1", "p2"}
    assert result.truncated is True
    assert {hop.to_id for hop in result.edges} == {"p1", "p2"}


@pytest.mark.parametrize(
    ("edges", "start", "expected"),
    [
        ({}, "a", []),
        ({"b": ["a"]}, "b", [("a", "a")]),
        ({"c": ["b"], "b": ["a1", "a2"]}, "c", [("b", "a1"), ("b", "a2")]),
        ({"c": ["a", "b"], "a": ["r"]}, "c", [("a", "r"), ("b", "b")]),
        ({"d": ["b", "c"], "b": ["a"], "c": ["a"]}, "d", [("b", "a"), ("c", "a")]),
        ({"x": ["a"], "a": ["b"], "b": ["a"]}, "x", [("a", "a")]),
    ],
    ids=["no-parent", "one-parent", "two-roots", "two-parents", "diamond", "cycle"],
)
def test_sources(edges: Edges, start: str, expected: list[tuple[str, str]]) -> None:
    found, complete = pairs(edges, start)

    assert found == expected
    assert complete is True


def test_sources_at_depth_limit_are_incomplete() -> None:
    edges = {"d": ["c"], "c": ["b"], "b": ["a"]}

    found, complete = pairs(edges, "d", depth=2)

    assert found == [("c", "b")]
    assert complete is False
