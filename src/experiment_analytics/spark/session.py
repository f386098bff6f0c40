"""The local Spark session of the project, for the Python parts that read Spark outside dbt: the
Metabase stand-in's `sparksql` database and the publisher's checks of the card queries.

It is the session dbt-spark's `session` method starts (profiles.yml, output `spark`): the same
`server_side_parameters`, read from profiles.yml, so the tables and the catalogue are the ones
dbt built. In a process where dbt already started it (the tests), that session is reused. The
catalogue is Derby (one process at a time): a second process fails to start it while another
(dbt, the stand-in) holds it, with the error below.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import jinja2
import yaml

from experiment_analytics.errors import ExperimentAnalyticsError
from experiment_analytics.spark.location import PROJECT_DIR, spark_dir

_logger = logging.getLogger(__name__)

PROFILE = "experiment_analytics"
LOCAL_TARGET = "spark"


class SparkSessionError(ExperimentAnalyticsError):
    """The local Spark session cannot start."""


def _env_var(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise SparkSessionError(f"profiles.yml needs the environment variable {name}")
    return value


def session_parameters(target: str = LOCAL_TARGET) -> dict[str, str]:
    """The Spark settings of `target` in profiles.yml (its `server_side_parameters`), rendered."""
    profiles_dir = Path(os.environ.get("DBT_PROFILES_DIR") or PROJECT_DIR / "profiles")
    profiles = yaml.safe_load((profiles_dir / "profiles.yml").read_text())
    output = profiles[PROFILE]["outputs"].get(target) or {}
    if output.get("type") != "spark" or output.get("method") != "session":
        raise SparkSessionError(
            f"profiles.yml output {target!r} is not a local Spark (type spark, method session)"
        )
    environment = jinja2.Environment()
    environment.globals["env_var"] = _env_var
    return {
        key: environment.from_string(str(value)).render()
        for key, value in (output.get("server_side_parameters") or {}).items()
    }


def local_spark_session(target: str = LOCAL_TARGET) -> Any:
    """The process's Spark session: the running one, else one started as dbt-spark starts it."""
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    builder = SparkSession.builder.enableHiveSupport()
    for key, value in session_parameters(target).items():
        builder = builder.config(key, value)
    _logger.info("starting the local Spark session over %s", spark_dir())
    try:
        session = builder.getOrCreate()
        session.sql("show databases").collect()
    except Exception as exc:  # py4j/pyspark errors have no common base worth naming
        raise SparkSessionError(
            f"the local Spark over {spark_dir()} did not start: {str(exc).splitlines()[0]}. "
            "Its catalogue (Derby) admits one process at a time: stop the process that holds it "
            "(a dbt command on target spark, or the Metabase stand-in) and try again"
        ) from exc
    return session
