"""spark-submit arguments that hand the stored archives to Spark executors."""

from __future__ import annotations

from typing import Any

CODE_ALIAS = "fate_code"
ENV_ALIAS = "python_env"

WITHOUT_DISTRIBUTION = (
    "this job has no archives: it was submitted with dependent_distribution "
    "off, or it does not run on Spark. Spark then ships nothing, so every "
    "worker needs the framework installed, and spark-env.sh must set "
    "PYSPARK_PYTHON (and PYSPARK_DRIVER_PYTHON) to a Python that has the "
    "framework's packages."
)


def submit_arguments(
    code: dict[str, Any], env: dict[str, Any], driver_python: str
) -> list[str]:
    """Return the spark-submit options for a job running with these archives.

    Spark unpacks ``--archives`` into each executor's working folder under
    the alias after ``#``, so the paths below are relative to it.
    """
    pythonpath = ":".join(f"./{CODE_ALIAS}/{folder}" for folder in code["pythonpath"])
    arguments = [
        "--archives",
        f"{code['path']}#{CODE_ALIAS},{env['path']}#{ENV_ALIAS}",
        "--conf",
        f"spark.pyspark.python=./{ENV_ALIAS}/{env['python']}",
        "--conf",
        f"spark.pyspark.driver.python={driver_python}",
        "--conf",
        f"spark.executorEnv.PYTHONPATH={pythonpath}",
    ]
    if env.get("library_path"):
        # The packed interpreter links to its libpython, found through here.
        arguments += [
            "--conf",
            f"spark.executorEnv.LD_LIBRARY_PATH=./{ENV_ALIAS}/{env['library_path']}",
        ]
    return arguments
