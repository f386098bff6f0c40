"""Publish the dbt project's dashboards, alerts, subscriptions and access rules to Metabase.

Thin entry point; see `--help` and metabase/README.md.
"""

import sys

from experiment_analytics.metabase.cli import main

if __name__ == "__main__":
    sys.exit(main())
