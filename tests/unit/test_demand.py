"""Job demand and the never-fits check, run on FATE 1.7.2's hetero_lr example.

Its conf lists the roles as arbiter 10000, host 10000 and guest 9999 and sets
no job_parameters, so each case adds its own.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fate_lineage.conf.settings import EngineNodes, JobDefaults
from fate_lineage.errors import ConfigError, InvalidInput
from fate_lineage.resources.demand import (
    EngineTotals,
    JobDemand,
    NeverFits,
    check_fits,
    engine_totals,
    job_demand,
)
from fate_lineage.tracking.runtime_conf import parse_roles

CONF_PATH = (
    Path(__file__).resolve().parents[2]
    / "examples"
    / "fate"
    / "hetero_logistic_regression"
    / "hetero_lr_normal_conf.json"
)
JOB_ID = "202111031759294631020"
ABSENT = object()

DEFAULTS = JobDefaults(
    task_cores=4,
    task_parallelism=1,
    task_memory=0,
    max_cores_percent_per_job=1.0,
    total_cores_overweight_percent=1.0,
    total_memory_overweight_percent=1.0,
)
HALF_CAP = JobDefaults(
    task_cores=4,
    task_parallelism=1,
    task_memory=0,
    max_cores_percent_per_job=0.5,
    total_cores_overweight_percent=1.0,
    total_memory_overweight_percent=1.0,
)
# STANDALONE has 20 cores on 1 node and EGGROLL 32 cores on 2 nodes. SPARK has
# 40 cores and 16384 MB on 2 nodes, and is the only engine to account memory.
NODES = {
    "STANDALONE": EngineNodes(cores_per_node=20, nodes=1, memory_per_node=0),
    "EGGROLL": EngineNodes(cores_per_node=16, nodes=2, memory_per_node=0),
    "SPARK": EngineNodes(cores_per_node=20, nodes=2, memory_per_node=8192),
}

# A row is (role, party id, cores, memory, task cores, task memory).
Row = tuple[str, str, int, int, int, int]


def engines(defaults: JobDefaults = DEFAULTS) -> dict[str, EngineTotals]:
    return {name: engine_totals(name, NODES[name], defaults) for name in NODES}


def conf_with(job_parameters: object, hosts: list[int] | None = None) -> Any:
    conf = json.loads(CONF_PATH.read_text(encoding="utf-8"))
    if job_parameters is not ABSENT:
        conf["job_parameters"] = job_parameters
    if hosts is not None:
        conf["role"]["host"] = hosts
    return conf


def demand_of(
    job_parameters: object,
    default_engine: str = "STANDALONE",
    hosts: list[int] | None = None,
    defaults: JobDefaults = DEFAULTS,
) -> JobDemand:
    conf = conf_with(job_parameters, hosts)
    roles = parse_roles(conf)
    totals = engines(defaults)
    return job_demand(JOB_ID, conf, roles, totals, default_engine, defaults)


def rows(demand: JobDemand) -> list[Row]:
    return [
        (p.role, p.party_id, p.cores, p.memory, p.task_cores, p.task_memory)
        for p in demand.parties
    ]


def standard(arbiter: int, host: int, guest: int) -> list[Row]:
    """Rows of the example's three parties with no memory and task_parallelism 1."""
    return [
        ("arbiter", "10000", arbiter, 0, arbiter, 0),
        ("host", "10000", host, 0, host, 0),
        ("guest", "9999", guest, 0, guest, 0),
    ]


# engine_totals


@pytest.mark.parametrize(
    ("name", "nodes", "cores_percent", "memory_percent", "expected"),
    [
        ("STANDALONE", EngineNodes(20, 1, 0), 1.0, 1.0, (20, 0, "fate_on_standalone")),
        (
            "EGGROLL",
            EngineNodes(16, 2, 4096),
            1.5,
            1.25,
            (48, 10240, "fate_on_eggroll"),
        ),
        # Float arithmetic gives 100 x 0.29 = 28.999..., which would floor to 28.
        ("SPARK", EngineNodes(100, 1, 1000), 0.29, 0.333, (29, 333, "fate_on_spark")),
    ],
    ids=["standalone-no-overweight", "eggroll-overweight", "spark-floor-of-decimal"],
)
def test_engine_totals(
    name: str,
    nodes: EngineNodes,
    cores_percent: float,
    memory_percent: float,
    expected: tuple[int, int, str],
) -> None:
    defaults = JobDefaults(4, 1, 0, 1.0, cores_percent, memory_percent)

    totals = engine_totals(name, nodes, defaults)

    cores, memory, entrance = expected
    assert totals.cores == cores
    assert totals.memory == memory
    assert totals.entrance == entrance
    assert totals.name == name
    assert (totals.cores_per_node, totals.nodes, totals.memory_per_node) == (
        nodes.cores_per_node,
        nodes.nodes,
        nodes.memory_per_node,
    )


def test_engine_totals_unknown_engine() -> None:
    with pytest.raises(ValueError, match="LINKIS_SPARK"):
        engine_totals("LINKIS_SPARK", EngineNodes(4, 1, 0), DEFAULTS)


# job_demand


DEMAND_CASES = [
    pytest.param(
        ABSENT,
        "STANDALONE",
        None,
        "STANDALONE",
        standard(0, 4, 4),
        id="standalone-defaults",
    ),
    pytest.param(
        {"common": {"task_cores": 6, "task_parallelism": 2}},
        "STANDALONE",
        None,
        "STANDALONE",
        [
            ("arbiter", "10000", 0, 0, 0, 0),
            ("host", "10000", 12, 0, 6, 0),
            ("guest", "9999", 12, 0, 6, 0),
        ],
        id="standalone-parallelism",
    ),
    pytest.param(
        {"common": {"task_memory": 4096}},
        "STANDALONE",
        None,
        "STANDALONE",
        standard(0, 4, 4),
        id="standalone-memory-not-accounted",
    ),
    pytest.param(
        {"common": {"eggroll_run": {"eggroll.session.processors.per.node": 5}}},
        "STANDALONE",
        None,
        "STANDALONE",
        standard(0, 5, 5),
        id="standalone-processors-override",
    ),
    pytest.param(
        ABSENT,
        "EGGROLL",
        None,
        "EGGROLL",
        standard(0, 4, 4),
        id="eggroll-cores-split-over-nodes",
    ),
    pytest.param(
        {"common": {"task_cores": 5}},
        "EGGROLL",
        None,
        "EGGROLL",
        standard(0, 4, 4),
        id="eggroll-cores-per-node-floored",
    ),
    pytest.param(
        {"common": {"task_cores": 1}},
        "EGGROLL",
        None,
        "EGGROLL",
        standard(0, 2, 2),
        id="eggroll-at-least-one-core-per-node",
    ),
    pytest.param(
        {
            "common": {
                "task_parallelism": 2,
                "eggroll_run": {"eggroll.session.processors.per.node": 3},
            }
        },
        "EGGROLL",
        None,
        "EGGROLL",
        [
            ("arbiter", "10000", 0, 0, 0, 0),
            ("host", "10000", 12, 0, 6, 0),
            ("guest", "9999", 12, 0, 6, 0),
        ],
        id="eggroll-processors-override",
    ),
    pytest.param(
        ABSENT,
        "SPARK",
        None,
        "SPARK",
        standard(2, 4, 4),
        id="spark-defaults-arbiter-pays",
    ),
    pytest.param(
        {"common": {"task_cores": 8}},
        "SPARK",
        None,
        "SPARK",
        standard(2, 8, 8),
        id="spark-arbiter-ignores-task-cores",
    ),
    pytest.param(
        {
            "common": {
                "task_parallelism": 2,
                "spark_run": {
                    "num-executors": 3,
                    "executor-cores": 2,
                    "executor-memory": "2g",
                },
            }
        },
        "SPARK",
        None,
        "SPARK",
        [
            ("arbiter", "10000", 12, 12288, 6, 6144),
            ("host", "10000", 12, 12288, 6, 6144),
            ("guest", "9999", 12, 12288, 6, 6144),
        ],
        id="spark-executors",
    ),
    pytest.param(
        {"common": {"task_memory": 4096}},
        "SPARK",
        None,
        "SPARK",
        [
            ("arbiter", "10000", 2, 4096, 2, 4096),
            ("host", "10000", 4, 4096, 4, 4096),
            ("guest", "9999", 4, 4096, 4, 4096),
        ],
        id="spark-task-memory-split-over-nodes",
    ),
    pytest.param(
        {"common": {"task_cores": 2}, "role": {"guest": {"0": {"task_cores": 8}}}},
        "STANDALONE",
        None,
        "STANDALONE",
        standard(0, 2, 8),
        id="role-index-0",
    ),
    pytest.param(
        {"role": {"host": {"all": {"task_parallelism": 3}}}},
        "STANDALONE",
        None,
        "STANDALONE",
        [
            ("arbiter", "10000", 0, 0, 0, 0),
            ("host", "10000", 12, 0, 4, 0),
            ("guest", "9999", 4, 0, 4, 0),
        ],
        id="role-all",
    ),
    pytest.param(
        {"role": {"host": {"1": {"task_cores": 6}}}},
        "STANDALONE",
        [10000, 10001],
        "STANDALONE",
        [
            ("arbiter", "10000", 0, 0, 0, 0),
            ("host", "10000", 4, 0, 4, 0),
            ("host", "10001", 6, 0, 6, 0),
            ("guest", "9999", 4, 0, 4, 0),
        ],
        id="role-index-1-of-two",
    ),
    pytest.param(
        {"role": {"host": {"0|1": {"task_cores": 2}}}},
        "STANDALONE",
        [10000, 10001],
        "STANDALONE",
        [
            ("arbiter", "10000", 0, 0, 0, 0),
            ("host", "10000", 2, 0, 2, 0),
            ("host", "10001", 2, 0, 2, 0),
            ("guest", "9999", 4, 0, 4, 0),
        ],
        id="role-index-list",
    ),
    pytest.param(
        {"role": {"guest": {"all": {"task_cores": 2}, "0": {"task_cores": 6}}}},
        "STANDALONE",
        None,
        "STANDALONE",
        standard(0, 4, 6),
        id="role-index-after-all-wins",
    ),
    pytest.param(
        {"role": {"guest": {"0": {"task_cores": 6}, "all": {"task_cores": 2}}}},
        "STANDALONE",
        None,
        "STANDALONE",
        standard(0, 4, 2),
        id="role-all-after-index-wins",
    ),
    pytest.param(
        {
            "common": {"spark_run": {"num-executors": 3, "executor-cores": 2}},
            "role": {"guest": {"0": {"spark_run": {"executor-cores": 1}}}},
        },
        "SPARK",
        None,
        "SPARK",
        standard(6, 6, 3),
        id="role-spark-run-merged-by-key",
    ),
    pytest.param(
        {"task_cores": 8, "task_parallelism": 2},
        "STANDALONE",
        None,
        "STANDALONE",
        [
            ("arbiter", "10000", 0, 0, 0, 0),
            ("host", "10000", 16, 0, 8, 0),
            ("guest", "9999", 16, 0, 8, 0),
        ],
        id="flat-job-parameters",
    ),
    pytest.param(
        {"computing_engine": "spark"},
        "STANDALONE",
        None,
        "SPARK",
        standard(2, 4, 4),
        id="flat-computing-engine-lower-case",
    ),
    pytest.param(
        {"common": {"computing_engine": "Eggroll"}},
        "SPARK",
        None,
        "EGGROLL",
        standard(0, 4, 4),
        id="common-computing-engine",
    ),
    pytest.param(
        {
            "common": {"computing_engine": "SPARK"},
            "role": {"host": {"0": {"computing_engine": "spark"}}},
        },
        "STANDALONE",
        None,
        "SPARK",
        standard(2, 4, 4),
        id="role-computing-engine-same-as-common",
    ),
    pytest.param(
        {
            "common": {
                "task_cores": 2,
                "job_type": "train",
                "adaptation_parameters": {"task_nodes": 9},
                "spark_run": {"driver-memory": "1g"},
            }
        },
        "STANDALONE",
        None,
        "STANDALONE",
        standard(0, 2, 2),
        id="unknown-keys-ignored",
    ),
]


@pytest.mark.parametrize(
    ("job_parameters", "default_engine", "hosts", "engine", "expected"),
    DEMAND_CASES,
)
def test_job_demand(
    job_parameters: object,
    default_engine: str,
    hosts: list[int] | None,
    engine: str,
    expected: list[Row],
) -> None:
    demand = demand_of(job_parameters, default_engine, hosts)

    assert demand.job_id == JOB_ID
    assert demand.engine == engine
    assert rows(demand) == expected
    assert demand.cores == sum(row[2] for row in expected)
    assert demand.memory == sum(row[3] for row in expected)


def test_job_demand_breakdown() -> None:
    spark_run = {"num-executors": 3, "executor-cores": 2}
    job_parameters = {"common": {"task_parallelism": 4, "spark_run": spark_run}}

    guest = demand_of(job_parameters, "SPARK").parties[2]

    assert guest.role == "guest"
    assert guest.task_cores_per_node == 2
    assert guest.task_nodes == 3
    assert guest.task_parallelism == 4


@pytest.mark.parametrize(
    ("executor_memory", "megabytes"),
    [
        (2048, 2048),
        ("1536", 1536),
        ("512m", 512),
        ("512MB", 512),
        ("2g", 2048),
        ("2G", 2048),
        ("2gb", 2048),
        (" 3g ", 3072),
        ("1t", 1024 * 1024),
        ("2048k", 2),
        ("1k", 1),
    ],
    ids=[
        "number",
        "digits",
        "m",
        "mb-upper-case",
        "g",
        "g-upper-case",
        "gb",
        "blanks",
        "t",
        "k",
        "k-rounded-up",
    ],
)
def test_executor_memory_units(executor_memory: object, megabytes: int) -> None:
    spark_run = {"num-executors": 1, "executor-memory": executor_memory}

    demand = demand_of({"common": {"spark_run": spark_run}}, "SPARK")

    assert demand.parties[2].task_memory == megabytes


COMMON = "conf.job_parameters.common"
SPARK_RUN = f"{COMMON}.spark_run"
PROCESSORS = f"{COMMON}.eggroll_run.eggroll.session.processors.per.node"


def spark_run(**values: object) -> dict[str, Any]:
    return {
        "common": {"spark_run": {k.replace("_", "-"): v for k, v in values.items()}}
    }


INVALID_CASES = [
    pytest.param(
        {"common": {"task_cores": 0}}, f"{COMMON}.task_cores", id="task-cores-zero"
    ),
    pytest.param(
        {"common": {"task_cores": -1}}, f"{COMMON}.task_cores", id="task-cores-negative"
    ),
    pytest.param(
        {"common": {"task_cores": "4"}}, f"{COMMON}.task_cores", id="task-cores-string"
    ),
    pytest.param(
        {"common": {"task_cores": 2.5}}, f"{COMMON}.task_cores", id="task-cores-float"
    ),
    pytest.param(
        {"common": {"task_cores": True}}, f"{COMMON}.task_cores", id="task-cores-bool"
    ),
    pytest.param(
        {"common": {"task_parallelism": 0}},
        f"{COMMON}.task_parallelism",
        id="task-parallelism-zero",
    ),
    pytest.param(
        {"common": {"task_memory": -1}},
        f"{COMMON}.task_memory",
        id="task-memory-negative",
    ),
    pytest.param(
        {"task_cores": 0}, "conf.job_parameters.task_cores", id="flat-task-cores-zero"
    ),
    pytest.param(
        {"role": {"guest": {"0": {"task_cores": 0}}}},
        "conf.job_parameters.role.guest.0.task_cores",
        id="role-task-cores-zero",
    ),
    pytest.param({"common": {"spark_run": []}}, SPARK_RUN, id="spark-run-not-object"),
    pytest.param(
        spark_run(num_executors=0),
        f"{SPARK_RUN}.num-executors",
        id="num-executors-zero",
    ),
    pytest.param(
        spark_run(executor_cores="2"),
        f"{SPARK_RUN}.executor-cores",
        id="executor-cores-string",
    ),
    pytest.param(
        spark_run(executor_memory="2x"),
        f"{SPARK_RUN}.executor-memory",
        id="executor-memory-unknown-unit",
    ),
    pytest.param(
        spark_run(executor_memory="512b"),
        f"{SPARK_RUN}.executor-memory",
        id="executor-memory-bytes",
    ),
    pytest.param(
        spark_run(executor_memory="0g"),
        f"{SPARK_RUN}.executor-memory",
        id="executor-memory-zero",
    ),
    pytest.param(
        spark_run(executor_memory=""),
        f"{SPARK_RUN}.executor-memory",
        id="executor-memory-empty",
    ),
    pytest.param(
        spark_run(executor_memory=-1),
        f"{SPARK_RUN}.executor-memory",
        id="executor-memory-negative",
    ),
    pytest.param(
        spark_run(executor_memory=1.5),
        f"{SPARK_RUN}.executor-memory",
        id="executor-memory-float",
    ),
    pytest.param(
        {"common": {"eggroll_run": {"eggroll.session.processors.per.node": 0}}},
        PROCESSORS,
        id="processors-per-node-zero",
    ),
    pytest.param(
        {"common": {"computing_engine": "LINKIS_SPARK"}},
        f"{COMMON}.computing_engine",
        id="engine-unknown",
    ),
    pytest.param(
        {"common": {"computing_engine": 3}},
        f"{COMMON}.computing_engine",
        id="engine-not-string",
    ),
    pytest.param(
        {"common": {"computing_engine": " "}},
        f"{COMMON}.computing_engine",
        id="engine-blank",
    ),
    pytest.param(
        {
            "common": {"computing_engine": "SPARK"},
            "role": {"host": {"0": {"computing_engine": "EGGROLL"}}},
        },
        "conf.job_parameters.role.host.0.computing_engine",
        id="role-engine-differs-from-common",
    ),
    pytest.param(
        {"role": {"host": {"0": {"computing_engine": "SPARK"}}}},
        "conf.job_parameters.role.host.0.computing_engine",
        id="role-engine-differs-from-default",
    ),
    pytest.param([], "conf.job_parameters", id="job-parameters-array"),
    pytest.param(None, "conf.job_parameters", id="job-parameters-null"),
    pytest.param({"common": 4}, COMMON, id="common-not-object"),
    pytest.param({"role": []}, "conf.job_parameters.role", id="role-not-object"),
    pytest.param(
        {"role": {"guest": []}},
        "conf.job_parameters.role.guest",
        id="role-indexes-not-object",
    ),
    pytest.param(
        {"role": {"local": {"0": {}}}},
        "conf.job_parameters.role.local",
        id="role-not-in-conf",
    ),
    pytest.param(
        {"role": {"guest": {"1": {}}}},
        "conf.job_parameters.role.guest.1",
        id="index-out-of-range",
    ),
    pytest.param(
        {"role": {"guest": {"01": {}}}},
        "conf.job_parameters.role.guest.01",
        id="index-leading-zero",
    ),
    pytest.param(
        {"role": {"guest": {"0": 4}}},
        "conf.job_parameters.role.guest.0",
        id="index-parameters-not-object",
    ),
]


@pytest.mark.parametrize(("job_parameters", "path"), INVALID_CASES)
def test_job_demand_invalid(job_parameters: object, path: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        demand_of(job_parameters)

    assert caught.value.message.startswith(f"{path}: ")


def test_job_demand_invalid_names_value() -> None:
    with pytest.raises(InvalidInput) as caught:
        demand_of(spark_run(executor_memory="2x"))

    assert "'2x'" in caught.value.message


def test_job_demand_default_engine_without_totals() -> None:
    conf = conf_with(ABSENT)
    totals = {"SPARK": engines()["SPARK"]}

    with pytest.raises(ConfigError, match="STANDALONE"):
        job_demand(JOB_ID, conf, parse_roles(conf), totals, "STANDALONE", DEFAULTS)


# check_fits: STANDALONE has 20 cores and, with HALF_CAP, a cap of 10 cores a
# job. SPARK has 40 cores, a cap of 20 and 16384 MB.

FIT_CASES = [
    pytest.param({"common": {"task_cores": 4}}, "STANDALONE", id="under-cap"),
    pytest.param({"common": {"task_cores": 5}}, "STANDALONE", id="at-cap"),
    pytest.param(
        {"common": {"spark_run": {"num-executors": 1, "executor-memory": "5g"}}},
        "SPARK",
        id="memory-under-total",
    ),
]


@pytest.mark.parametrize(("job_parameters", "engine"), FIT_CASES)
def test_check_fits_accepts(job_parameters: object, engine: str) -> None:
    demand = demand_of(job_parameters, engine, defaults=HALF_CAP)

    check_fits(demand, engines(HALF_CAP)[engine], HALF_CAP)


NEVER_FITS_CASES = [
    pytest.param(
        {"common": {"task_cores": 6}},
        "STANDALONE",
        [
            "It requests 12 cores, over the per-job cap of 10 cores, which is "
            "floor(20 total cores x max_cores_percent_per_job 0.5)."
        ],
        ["engine's total", "MB"],
        id="over-cap",
    ),
    pytest.param(
        {"common": {"task_cores": 12}},
        "STANDALONE",
        [
            "It requests 24 cores",
            "over the per-job cap of 10 cores",
            "and over the engine's total of 20 cores.",
        ],
        ["MB"],
        id="over-total",
    ),
    pytest.param(
        {"common": {"spark_run": {"num-executors": 1, "executor-memory": "6g"}}},
        "SPARK",
        ["It requests 18432 MB of memory, over the engine's total of 16384 MB."],
        ["per-job cap"],
        id="memory-over-total",
    ),
]


@pytest.mark.parametrize(
    ("job_parameters", "engine", "present", "absent"), NEVER_FITS_CASES
)
def test_check_fits_rejects(
    job_parameters: object, engine: str, present: list[str], absent: list[str]
) -> None:
    demand = demand_of(job_parameters, engine, defaults=HALF_CAP)

    with pytest.raises(NeverFits) as caught:
        check_fits(demand, engines(HALF_CAP)[engine], HALF_CAP)

    message = caught.value.message
    assert message.startswith(f"Job {JOB_ID} can never run on {engine}.")
    for text in present:
        assert text in message
    for text in absent:
        assert text not in message


def never_fits(
    job_parameters: object, engine: str, defaults: JobDefaults = HALF_CAP
) -> NeverFits:
    demand = demand_of(job_parameters, engine, defaults=defaults)
    with pytest.raises(NeverFits) as caught:
        check_fits(demand, engines(defaults)[engine], defaults)
    return caught.value


SPARK_OVER_CAP = {
    "common": {
        "task_parallelism": 3,
        "spark_run": {"num-executors": 2, "executor-cores": 2},
    }
}


@pytest.mark.parametrize(
    "setting",
    [
        "task_cores",
        "task_parallelism",
        "spark_run executor-cores",
        "spark_run num-executors",
        "fate_on_spark.spark.cores_per_node",
        "fate_on_spark.spark.nodes",
        "job_default_config.max_cores_percent_per_job",
        "job_default_config.total_cores_overweight_percent",
    ],
)
def test_never_fits_names_setting(setting: str) -> None:
    assert setting in never_fits(SPARK_OVER_CAP, "SPARK").message


def test_never_fits_lists_parties() -> None:
    message = never_fits(SPARK_OVER_CAP, "SPARK").message

    assert "arbiter 10000 requests 2 x 2 x 3 = 12 cores and 0 MB" in message
    assert "host 10000 requests 2 x 2 x 3 = 12 cores and 0 MB" in message
    assert "guest 9999 requests 2 x 2 x 3 = 12 cores and 0 MB" in message
    assert "The job requests 36 cores and 0 MB in all." in message


def test_never_fits_free_arbiter() -> None:
    message = never_fits({"common": {"task_cores": 6}}, "STANDALONE").message

    assert "arbiter 10000 is free on STANDALONE" in message


@pytest.mark.parametrize(
    ("setting", "named"),
    [
        ("fate_on_standalone.standalone.cores_per_node", True),
        ("eggroll_run eggroll.session.processors.per.node", True),
        ("spark_run", False),
        ("memory_per_node", False),
    ],
)
def test_never_fits_standalone_settings(setting: str, named: bool) -> None:
    message = never_fits({"common": {"task_cores": 6}}, "STANDALONE").message

    assert (setting in message) is named


def test_never_fits_omits_cap_at_full() -> None:
    error = never_fits({"common": {"task_cores": 12}}, "STANDALONE", DEFAULTS)

    assert "max_cores_percent_per_job 1.0" in error.message
    assert "job_default_config.max_cores_percent_per_job" not in error.message


@pytest.mark.parametrize(
    ("setting", "named"),
    [
        ("task_memory", True),
        ("spark_run executor-memory", True),
        ("spark_run num-executors", True),
        ("fate_on_spark.spark.memory_per_node", True),
        ("job_default_config.total_memory_overweight_percent", True),
        ("spark_run executor-cores", False),
        ("fate_on_spark.spark.cores_per_node", False),
    ],
)
def test_never_fits_memory_settings(setting: str, named: bool) -> None:
    job_parameters = {
        "common": {"spark_run": {"num-executors": 1, "executor-memory": "6g"}}
    }
    message = never_fits(job_parameters, "SPARK").message

    assert (setting in message) is named


def test_never_fits_details() -> None:
    details = never_fits(SPARK_OVER_CAP, "SPARK").details

    assert details["job_id"] == JOB_ID
    assert details["engine"] == "SPARK"
    assert details["cores"] == 36
    assert details["memory"] == 0
    assert details["max_cores_per_job"] == 20
    assert details["max_cores_percent_per_job"] == 0.5
    assert details["engine_cores"] == 40
    assert details["engine_memory"] == 16384
    assert [party["role"] for party in details["requested"]] == [
        "arbiter",
        "host",
        "guest",
    ]
    assert details["requested"][2] == {
        "role": "guest",
        "party_id": "9999",
        "task_cores_per_node": 2,
        "task_nodes": 2,
        "task_parallelism": 3,
        "cores": 12,
        "memory": 0,
    }


def test_never_fits_is_invalid_input() -> None:
    error = never_fits({"common": {"task_cores": 6}}, "STANDALONE")

    assert isinstance(error, InvalidInput)
    assert error.retcode == 101
    assert error.http_status == 400


def test_check_fits_other_engine() -> None:
    demand = demand_of(ABSENT, "STANDALONE")

    with pytest.raises(ValueError, match="SPARK"):
        check_fits(demand, engines()["SPARK"], DEFAULTS)
