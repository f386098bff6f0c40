"""The project on Apache Spark: where the local Spark keeps its data, and the demo data loader.

dbt talks to Spark through dbt-spark (profiles.yml, output `spark`); this package never opens a
Spark session of its own: every statement it needs runs through dbt's connection, so the same
code loads a local session, a Thrift server or a Databricks cluster.
"""

from experiment_analytics.spark.demo_files import export_source_files
from experiment_analytics.spark.loader import load_statements, spark_source_tables
from experiment_analytics.spark.location import SPARK_DIR_ENV, spark_dir

__all__ = [
    "SPARK_DIR_ENV",
    "export_source_files",
    "load_statements",
    "spark_dir",
    "spark_source_tables",
]
