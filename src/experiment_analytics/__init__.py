"""Experiment analytics as code: warehouse tooling, demo data and the Metabase publisher.

The dbt project (models/, macros/, tests/) is the core; this package holds the Python parts
around it: starting the embedded warehouse, creating the ``exp`` source tables, generating demo
data, the benchmark, the Metabase publisher and a Metabase double for tests.
"""

__version__ = "0.1.0"
