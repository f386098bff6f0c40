"""Where the local (session) Spark keeps its tables and its catalogue.

profiles.yml reads the same variable: `<dir>/warehouse` holds the tables' files,
`<dir>/metastore_db` the catalogue (Derby: one process at a time), `<dir>/demo_files` the demo
data set as CSV files for the loader. Default: `.spark` in the project (git-ignored, like `.pg`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

SPARK_DIR_ENV = "EXPERIMENT_ANALYTICS_SPARK_DIR"
PROJECT_DIR = Path(__file__).resolve().parents[3]


def spark_dir(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    return Path(env.get(SPARK_DIR_ENV) or PROJECT_DIR / ".spark").resolve()
