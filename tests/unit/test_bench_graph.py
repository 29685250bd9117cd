"""The benchmark's FATE-like graph generator and the DSL built from its jobs."""

from __future__ import annotations

from itertools import groupby

from bench.fate_graph import FateGraph, generate
from bench.fate_path import job_definition
from fate_lineage.tracking.dsl import parse_job

SIZE = 2000


def graph_of(seed: int = 7) -> FateGraph:
    return generate(SIZE, seed, "bench_test")


def test_generate_same_seed_same_graph() -> None:
    first, second = graph_of(), graph_of()

    assert first.tables() == second.tables()
    assert list(first.events()) == list(second.events())


def test_generate_other_seed_other_graph() -> None:
    assert graph_of(7).tables() != graph_of(8).tables()


def test_generate_reaches_size() -> None:
    tables = graph_of().tables()

    assert SIZE <= len(tables) < SIZE + 20
    assert len(set(tables)) == len(tables)


def test_generate_has_every_shape() -> None:
    graph = graph_of()
    outputs = {table for task in graph.tasks for table in task.outputs}
    readers = [task for task in graph.tasks if task.component.startswith("reader_")]

    assert any(len(task.inputs) >= 3 for task in graph.tasks)
    assert any(len(task.outputs) == 3 for task in graph.tasks)
    assert any(task.component == "feature_binning_0" for task in graph.tasks)
    assert any(reader.inputs[0] in outputs for reader in readers)
    assert any(reader.inputs[0] in graph.uploads for reader in readers)


def test_generate_reads_only_earlier_tables() -> None:
    graph = graph_of()
    written = set(graph.uploads)
    for task in graph.tasks:
        for table in task.inputs:
            assert table in written, (task.job_id, task.component, table)
        written.update(task.outputs)


def test_events_are_run_events() -> None:
    graph = graph_of()
    events = list(graph.events())

    assert len(events) == len(graph.tasks)
    assert {event["eventType"] for event in events} == {"COMPLETE"}
    assert {event["job"]["namespace"] for event in events} == {"bench_test_fate"}
    assert len({event["run"]["runId"] for event in events}) == len(events)


def test_job_definition_parses_as_fate_dsl() -> None:
    graph = graph_of()
    for _, grouped in groupby(graph.tasks, key=lambda task: task.job_id):
        tasks = list(grouped)
        dsl, conf = job_definition(tasks)

        plan = parse_job(dsl, conf)

        assert len(plan.components) == len(tasks)
