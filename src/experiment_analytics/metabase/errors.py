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

    def __init__(self, message: str, *, status: int | None = None, sent: bool = True):
        self.status = status
        # False when the connection was refused: the request never reached Metabase.
        self.sent = sent
        super().__init__(message)

    @property
    def maybe_applied(self) -> bool:
        """No answer, or a server error: the write may have been applied anyway."""
        return self.sent and (self.status is None or self.status >= 500)


class UnsupportedVersionError(PublisherError):
    """The Metabase instance is outside the supported version range."""
