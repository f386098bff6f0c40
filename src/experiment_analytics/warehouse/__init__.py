"""The warehouse: connection settings, the embedded PostgreSQL and the `exp` source contract."""

from experiment_analytics.warehouse.connection import ConnectionSettings, connect
from experiment_analytics.warehouse.source_contract import create_exp_sources

__all__ = ["ConnectionSettings", "connect", "create_exp_sources"]
