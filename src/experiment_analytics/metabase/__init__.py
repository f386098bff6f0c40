"""Publish the dbt project's dashboards to Metabase as code.

    from experiment_analytics.metabase import PublishOptions, publish
    summary = publish(PublishOptions(metabase_url=..., metabase_api_key=..., ...))

See metabase/README.md for the configuration format and what a run does.
"""

from experiment_analytics.metabase.errors import (
    MetabaseApiError,
    PublisherError,
    SpecError,
    UnsupportedVersionError,
)
from experiment_analytics.metabase.run import PublishOptions, publish, validate_only
from experiment_analytics.metabase.summary import Summary

__all__ = [
    "MetabaseApiError",
    "PublishOptions",
    "PublisherError",
    "SpecError",
    "Summary",
    "UnsupportedVersionError",
    "publish",
    "validate_only",
]
