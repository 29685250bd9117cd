"""Judge the targets and render the results as Markdown with PNG plots."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

QUERIES = ("tracking_source", "tracking_job", "lineage_depth_3", "lineage_depth_20")
INGEST_TARGET = 20.0
API_OVER_RAW_TARGET = 1.5


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Return each target with its figure and whether it was met."""
    judged = []
    for key, baseline in (
        ("batched_over_fate", "FATE's endpoints"),
        ("batched_over_openlineage", "one OpenLineage event per request"),
    ):
        ratio = results["ingest"][key]
        judged.append(
            {
                "target": f"batched ingest at least {INGEST_TARGET:g} times "
                f"{baseline}, in tables/s",
                "figure": f"{ratio:g} times",
                "met": ratio >= INGEST_TARGET,
            }
        )
    largest = results["sizes"][-1]
    for query in QUERIES:
        figures = largest["queries"][query]
        over = figures["api"]["p50_ms"] / figures["raw"]["p50_ms"]
        judged.append(
            {
                "target": f"{query}: API over raw Cypher at most "
                f"{API_OVER_RAW_TARGET:g} at p50, {largest['tables']:,} tables",
                "figure": f"{over:.2f} ({figures['api']['p50_ms']:g} ms over "
                f"{figures['raw']['p50_ms']:g} ms)",
                "met": over <= API_OVER_RAW_TARGET,
            }
        )
    after = results["resources"]["after"]
    clean = all(
        not side["over_allocated"] and side["all_returned"] for side in after.values()
    )
    lowest = min(
        results["resources"][side]["remaining_cores_min"] for side in ("api", "lua")
    )
    judged.append(
        {
            "target": "no over-allocation with "
            f"{results['resources']['clients']} clients",
            "figure": f"lowest remaining cores sampled {lowest}, "
            f"all cores back after the run: {clean}",
            "met": clean and lowest >= 0,
        }
    )
    return judged


def render(results: dict[str, Any], doc: Path) -> None:
    """Write ``doc`` and its plots, in a folder named after it, beside it."""
    plots = doc.parent / doc.stem
    plots.mkdir(parents=True, exist_ok=True)
    pictures = {
        "queries": plot_queries(results, plots / "queries_p50.png"),
        "growth": plot_growth(results, plots / "growth_p50.png"),
        "resources": plot_resources(results, plots / "resources.png"),
    }
    relative = {name: f"{doc.stem}/{path.name}" for name, path in pictures.items()}
    sections = [
        _introduction(results),
        _usage_section(),
        _targets_section(results),
        _machine_section(results),
        _ingest_section(results),
        _query_section(results, relative["queries"]),
        _sql_section(results),
        _growth_section(results, relative["growth"]),
        _resource_section(results, relative["resources"]),
    ]
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text("\n\n".join(sections) + "\n")


def _introduction(results: dict[str, Any]) -> str:
    sizes = " and ".join(f"{size['tables']:,}" for size in results["sizes"])
    return f"""# Benchmarks

Figures of one run of `{results["command"]}` on {results["machine"]["date"]}, \
which took {results["seconds"]:.0f} s. The run generates FATE-like lineage \
(seed {results["seed"]}) at {sizes} tables and loads it through the API. It \
times the queries through the API, as raw Cypher and in PostgreSQL. It \
measures resource apply and return against two ceilings, and at the end it \
deletes everything it loaded. `bench/results/benchmarks.json` contains every \
figure, and `bench/report.py` renders this page from it.

{_load_note(results)}"""


def _usage_section() -> str:
    return "\n".join([
        "## Run it",
        "",
        "With the stack running (`bash stack/stack.sh start`) and Debian's "
        "`postgresql` package installed (`bash .ci/install-postgresql`):",
        "",
        "```sh",
        ".venv/bin/python -m bench.run_all            # 10k and 100k tables",
        ".venv/bin/python -m bench.run_all --smoke    # 1k tables, 70 s here",
        ".venv/bin/python -m bench.run_all --with-1m  # adds 1M tables, not run here",
        "```",
        "",
        "The full run rewrites `bench/results/benchmarks.json`, this page and "
        "the PNGs in `docs/benchmarks/`; `--smoke` writes to "
        "`bench/results/smoke/`. `--url` names another API. `--own-api` "
        "starts a gunicorn of the run's own from the checkout for ingest and "
        "queries, so that other clients of the stack's API cannot queue them. "
        "`--seed`, "
        "`--samples`, `--single-tables`, `--clients` and `--seconds` change the "
        "run, and `--help` lists them. The graphs go into namespaces starting "
        "with `bench_<random id>_` and are deleted from Neo4j at the end, also "
        "when a step fails, and the PostgreSQL cluster and the extra gunicorn "
        "are stopped by their PIDs. `tests/integration/test_benchmarks.py` runs "
        "the smoke size in CI and checks the output, not the speed.",
    ])  # fmt: skip


def _load_note(results: dict[str, Any]) -> str:
    machine = results["machine"]
    figures = machine["load_average_start"] + machine["load_average_end"]
    api = results.get("api", "")
    target = (
        "a gunicorn of the run's own, started from the checkout"
        if api == "own gunicorn"
        else f"the API at {api}"
    )
    note = (
        f"Ingest and queries went to {target}. The load average was "
        f"{_load(results, 'start')} at the start and {_load(results, 'end')} at "
        "the end (1, 5 and 15 minutes)"
    )
    if max(figures) <= machine["cpus"]:
        return note + f", within the machine's {machine['cpus']} cores."
    return (
        note + f", above the machine's {machine['cpus']} cores. The load counts "
        "the run's own clients and the stack, which share those cores, and any "
        "other process, so absolute latencies are higher and noisier than on a "
        "machine with spare cores. Each table is timed through every client in "
        "turn, so the ratios between clients see the same CPU load, but "
        "requests that others sent to the same API can still queue ours."
    )


def _load(results: dict[str, Any], moment: str) -> str:
    return " / ".join(
        f"{value:.1f}" for value in results["machine"][f"load_average_{moment}"]
    )


def _targets_section(results: dict[str, Any]) -> str:
    rows = []
    for item in results["targets"]:
        verdict = "met" if item["met"] else "missed"
        rows.append(f"| {item['target']} | {item['figure']} | {verdict} |")
    return "\n".join(
        ["## Targets", "", "| target | figure | result |", "| --- | --- | --- |", *rows]
    )


def _machine_section(results: dict[str, Any]) -> str:
    machine = results["machine"]
    rows = [
        ("CPU", f"{machine['cpu']}, {machine['cpus']} cores"),
        ("memory", f"{machine['memory_gib']} GiB"),
        ("OS", machine["platform"]),
        ("Python", machine["python"]),
        ("Neo4j", machine["neo4j"]),
        ("Redis", machine["redis"]),
        ("PostgreSQL", results["sql_peer"].get("version", "not run").split()[0]),
        ("API", "gunicorn, 2 workers of 4 threads (the stack's defaults)"),
    ]
    lines = [f"| {name} | {value} |" for name, value in rows]
    return "\n".join(["## Machine", "", "| | |", "| --- | --- |", *lines])


def _ingest_section(results: dict[str, Any]) -> str:
    ingest = results["ingest"]
    rows = []
    modes = (
        ("fate_one_by_one", "one by one, FATE's upload, submit and report", "requests"),
        ("openlineage_one_by_one", "one by one, `POST /api/v1/lineage`", "events"),
        ("batched", f"batches of {ingest['batch_size']}, `/api/v1/lineage/batch`",
         "events"),
    )  # fmt: skip
    for mode, label, unit in modes:
        load = ingest[mode]
        rows.append(
            f"| {label} | {load['tables']:,} | {load[unit]:,} {unit} | "
            f"{load['seconds']:g} | {load['tables_per_s']:g} | "
            f"{load[unit + '_per_s']:g} | {load['edges_per_s']:g} |"
        )
    for size in results["sizes"]:
        load = size["load"]
        rows.append(
            f"| batches, the {size['tables']:,}-table query graph | "
            f"{load['tables']:,} | {load['events']:,} events | {load['seconds']:g} | "
            f"{load['tables_per_s']:g} | {load['events_per_s']:g} | "
            f"{load['edges_per_s']:g} |"
        )
    return "\n".join([
        "## Ingest",
        "",
        "A record is one table with the lineage edges that derive it. Each FATE "
        "task becomes one OpenLineage COMPLETE RunEvent: job namespace "
        "`bench_<id>_fate`, the FATE job id as the job name, one run per task, "
        "and the task's input and output tables as datasets. The generator "
        "(`bench/fate_graph.py`) builds jobs whose Readers read a new upload, "
        "an existing upload or an earlier job's output, followed by a chain, a "
        "diamond, a data split feeding a model, or a union of three to eight "
        "Readers. The first three rows load graphs of the same size and shape "
        "from different seeds, over one keep-alive connection. The FATE row "
        "uploads each source table, submits each job with a DSL built from its "
        "tasks (guest party only) and reports each task's inputs and outputs "
        "(`bench/fate_path.py`).",
        "",
        "| path | tables | requests or events | s | tables/s | requests or events/s "
        "| edges/s |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        *rows,
        "",
        f"Batched over FATE's endpoints: {ingest['batched_over_fate']:g} times; "
        "batched over one OpenLineage event per request: "
        f"{ingest['batched_over_openlineage']:g} times, in tables/s.",
    ])  # fmt: skip


def _query_section(results: dict[str, Any], picture: str) -> str:
    parts = [
        "## Queries",
        "",
        f"Each query runs on the same {results['samples']} random tables of the "
        "graph, after 10 warm-up calls per client. Every table goes first "
        "through the API (`POST /v1/table/...` over one keep-alive connection), "
        "then as raw Cypher through the Neo4j driver, then, for lineage, to "
        "PostgreSQL. Lineage "
        "goes up with `node_budget` 1000. tracking-source searches the service's "
        "`lineage.max_depth` (100) and `lineage.max_node_budget` (100,000).",
        "",
        "The raw side replays the service's own statements from `cypher/`: "
        "`find_table`, then `find_parent_edges` once per hop for the walks or "
        "`find_reading_jobs` for tracking-job, in one explicit read transaction "
        "per query, with the same visited set and budget cut as "
        "`tracking/sources.py`. It leaves out HTTP, Flask, input checks, the "
        "parent and source pairing, and JSON rendering, which is the overhead "
        "that the API over raw ratio shows.",
    ]
    for size in results["sizes"]:
        floor = size["http_floor"]
        parts += [
            "",
            f"### {size['tables']:,} tables",
            "",
            _latency_table(size),
            "",
            "For scale, `GET /healthz` on the same connection, which touches no "
            f"backend, took {floor['p50_ms']:g} ms at p50 and {floor['p95_ms']:g} "
            "ms at p95 in the same run.",
        ]
    parts += ["", f"![p50 by query and client]({picture})"]
    return "\n".join(parts)


def _latency_table(size: dict[str, Any]) -> str:
    rows = [
        "| query | client | p50 ms | p95 ms | p99 ms | max ms | API over raw at p50 |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for query in QUERIES:
        figures = size["queries"][query]
        ratio = figures["api"]["p50_ms"] / figures["raw"]["p50_ms"]
        for client, values in figures.items():
            shown = f"{ratio:.2f}" if client == "api" else ""
            rows.append(
                f"| {query} | {client} | {values['p50_ms']:g} | {values['p95_ms']:g} "
                f"| {values['p99_ms']:g} | {values['max_ms']:g} | {shown} |"
            )
    return "\n".join(rows)


def _sql_section(results: dict[str, Any]) -> str:
    peer = results["sql_peer"]
    if peer["status"] != "ran":
        return f"## SQL peer\n\nBlocked: PostgreSQL did not start: {peer['error']}"
    rows = []
    for size in results["sizes"]:
        for depth in (3, 20):
            figures = size["queries"][f"lineage_depth_{depth}"]
            sql = figures["sql"]["p50_ms"]
            rows.append(
                f"| {size['tables']:,} | {depth} | {figures['api']['p50_ms']:g} | "
                f"{figures['raw']['p50_ms']:g} | {sql:g} | "
                f"{figures['api']['p50_ms'] / sql:.2f} | "
                f"{figures['raw']['p50_ms'] / sql:.2f} |"
            )
    return "\n".join([
        "## SQL peer",
        "",
        "The same tables and `DERIVED_FROM` edges in PostgreSQL, Debian's "
        f"package ({peer['version'].split()[0]}), in a cluster of the run's own on a "
        "loopback port with `fsync` and `synchronous_commit` off, which only "
        "speeds up the load. The two tables have primary keys and a unique "
        "index on (namespace, name). Lineage is one recursive CTE "
        "(`bench/sql_peer.py`) over TCP with psycopg: ancestors up to the depth, "
        "each at its nearest distance, the nearest first in (namespace, name) "
        "order up to the 1000-table budget. It returns the tables but not the "
        "edges, and it computes the whole depth before cutting at the budget, "
        "where the service stops expanding.",
        "",
        "| tables | depth | API p50 ms | raw Cypher p50 ms | SQL p50 ms "
        "| API over SQL | raw Cypher over SQL |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        *rows,
    ])  # fmt: skip


def _growth_section(results: dict[str, Any], picture: str) -> str:
    header = ["query", "client"]
    header += [f"{size['tables']:,} tables p50 ms" for size in results["sizes"]]
    rows = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for query in QUERIES:
        for client in results["sizes"][-1]["queries"][query]:
            values = [
                f"{size['queries'][query][client]['p50_ms']:g}"
                for size in results["sizes"]
            ]
            rows.append(f"| {query} | {client} | " + " | ".join(values) + " |")
    return "\n".join([
        "## Growth",
        "",
        "p50 of each query as the graph grows. `--with-1m` adds a run at one "
        "million tables; it was not run for this page.",
        "",
        *rows,
        "",
        f"![p50 by graph size]({picture})",
    ])  # fmt: skip


def _resource_section(results: dict[str, Any], picture: str) -> str:
    resources = results["resources"]
    bench = resources["redis_benchmark"]
    rows = [
        ("apply + return through the API", resources["api"]),
        ("no-op route, two requests per pair (HTTP ceiling)", resources["noop"]),
        ("apply_job.lua + return_job.lua from Python", resources["lua"]),
    ]
    lines = [
        f"| {label} | {figures['pairs_per_s']:g} | "
        f"{figures['rejected_applies_per_s']:g} |"
        for label, figures in rows
    ]
    lines.append(
        f"| redis-benchmark, EVAL `return 1`, two calls per pair (Redis ceiling) "
        f"| {bench['pairs_per_s']:g} | |"
    )
    after = resources["after"]
    return "\n".join([
        "## Resources",
        "",
        f"{resources['clients']} client threads for {resources['seconds']:g} s "
        "each. The run starts a gunicorn of its own (same settings as the stack's, "
        "2 workers of 4 threads) with a Redis key namespace of its own and a "
        f"standalone engine of {resources['cores']} cores. Each client owns one "
        "hetero-LR job of 2 cores and applies, then returns when the apply "
        "succeeded, so at most half the clients hold cores at once and the "
        "others get 409. The Lua row runs the same round through the scripts "
        "on an engine of the same size. The redis-benchmark command was "
        f"`{bench['command']}` ({bench['requests_per_s']:g} calls/s).",
        "",
        "| path | pairs/s | rejected applies/s |",
        "| --- | --- | --- |",
        *lines,
        "",
        "A monitor read the engine's remaining cores about every 10 ms during the API "
        f"and Lua runs: the lowest was {resources['api']['remaining_cores_min']} "
        f"and {resources['lua']['remaining_cores_min']}. After the runs the "
        f"engines had {after['api']['remaining_cores']} and "
        f"{after['lua']['remaining_cores']} of {resources['cores']} cores free and "
        f"{after['api']['jobs_in_use']} and {after['lua']['jobs_in_use']} jobs "
        "holding resources.",
        "",
        f"![pairs per second]({picture})",
    ])  # fmt: skip


def plot_queries(results: dict[str, Any], path: Path) -> Path:
    size = results["sizes"][-1]
    clients = list(size["queries"]["lineage_depth_3"])
    figure, axes = plt.subplots(figsize=(8, 4))
    width = 0.8 / len(clients)
    for offset, client in enumerate(clients):
        values = [
            size["queries"][query].get(client, {}).get("p50_ms", 0) for query in QUERIES
        ]
        positions = [index + offset * width for index in range(len(QUERIES))]
        axes.bar(positions, values, width, label=client)
    axes.set_xticks(
        [index + width * (len(clients) - 1) / 2 for index in range(len(QUERIES))]
    )
    axes.set_xticklabels(QUERIES)
    axes.set_ylabel("p50 latency, ms")
    axes.set_title(f"p50 at {size['tables']:,} tables")
    axes.legend()
    return _save(figure, path)


def plot_growth(results: dict[str, Any], path: Path) -> Path:
    figure, axes = plt.subplots(figsize=(8, 4))
    sizes = [size["tables"] for size in results["sizes"]]
    for query in QUERIES:
        for client in ("api", "raw"):
            values = [
                size["queries"][query][client]["p50_ms"] for size in results["sizes"]
            ]
            style = "-" if client == "api" else "--"
            axes.plot(sizes, values, style, marker="o", label=f"{query} {client}")
    axes.set_xscale("log")
    axes.set_xlabel("tables in the graph")
    axes.set_ylabel("p50 latency, ms")
    axes.legend(fontsize="small")
    return _save(figure, path)


def plot_resources(results: dict[str, Any], path: Path) -> Path:
    resources = results["resources"]
    labels = ["API", "no-op HTTP", "Lua", "redis-benchmark"]
    values = [
        resources["api"]["pairs_per_s"],
        resources["noop"]["pairs_per_s"],
        resources["lua"]["pairs_per_s"],
        resources["redis_benchmark"]["pairs_per_s"],
    ]
    figure, axes = plt.subplots(figsize=(7, 4))
    axes.bar(labels, values)
    axes.set_yscale("log")
    axes.set_ylabel("apply + return pairs per second")
    axes.set_title(f"{resources['clients']} clients")
    return _save(figure, path)


def _save(figure: Any, path: Path) -> Path:
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path
