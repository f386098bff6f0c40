"""The publisher's errors. Each message names the object involved and what to do about it."""

from __future__ import annotations

from experiment_analytics.errors import ExperimentAnalyticsError


class PublisherError(ExperimentAnalyticsError):
    """Base class of the publisher's errors."""


class SpecError(PublisherError):
    """The configuration under metabase/ (or the dbt project it points at) is invalid.

    Holds every problem found, each naming its file, dashboard and card, so one run shows them all.
    """

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        listed = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(
            f"{len(self.problems)} problem(s) in the Metabase configuration:\n{listed}"
        )


class MetabaseApiError(PublisherError):
    """Metabase answered an error (or did not answer); the message says to what and why."""

    def __init__(self, message: str, *, status: int | None = None):
        self.status = status
        super().__init__(message)


class UnsupportedVersionError(PublisherError):
    """The Metabase instance is outside the supported version range."""
