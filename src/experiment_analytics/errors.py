"""Errors the project raises on purpose. Each carries a message a user can act on."""


class ExperimentAnalyticsError(Exception):
    """Base class: the CLI prints these without a traceback and exits non-zero."""


class WarehouseError(ExperimentAnalyticsError):
    """The warehouse could not be reached, started or set up."""
