"""Parameters of the main test data set (importable by the test modules of this folder)."""

from datetime import UTC, datetime

END_AT = datetime(2026, 11, 20, 12, tzinfo=UTC)
EVENTS = 50_000
SEED = 7
