"""The incremental test window (macros/incremental/incremental_test_window.sql).

On an incremental build, the data tests over the event log check only the events received
within var('late_event_lookback_hours') of the newest one; `--full-refresh` and
`--vars '{test_full_history: true}'` make them check every row. Proven on the small valid data
set of the warehouse tests with one broken event, received either long ago or just now.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from experiment_analytics.dbt import run_dbt
from experiment_analytics.warehouse import connect, create_exp_sources

BASE_DATA = Path(__file__).parents[1] / "warehouse" / "base_data.sql"
TEST = "source_accepted_values_exp_events_event_type"

# An event of an unknown type (accepted_values fails on it), received at the given time.
BROKEN_EVENT = """
insert into exp.events (
    id, event_type, experiment_id, variant_id, unit_id, request_id, occurred_at, received_at
)
select 900 + %(n)s, 'bogus', 1, 1, 'u1', gen_random_uuid(), {received_at}, {received_at}
"""


def _accepted_values_status(settings, target: Path, *extra: str) -> str:
    (target / "run_results.json").unlink(missing_ok=True)
    # `dbt build`: `dbt test` has no --full-refresh; the selection holds only source tests
    run_dbt(
        ["build", "--select", "source:exp.events", *extra],
        settings,
        target_path=target,
        check=False,
    )
    results = json.loads((target / "run_results.json").read_text())["results"]
    statuses = [r["status"] for r in results if r["unique_id"].split(".")[2].startswith(TEST)]
    assert len(statuses) == 1, f"{TEST} did not run exactly once: {results}"
    return statuses[0]


@pytest.mark.slow
def test_window_on_incremental_runs_everything_on_full_refresh(new_database, tmp_path):
    settings = new_database("test_window")
    create_exp_sources(settings)
    conn = connect(settings)
    with conn.cursor() as cur:
        cur.execute(BASE_DATA.read_text())
        # received a year before the newest event: outside the 48-hour window
        received_long_ago = "(select max(received_at) - interval '365 days' from exp.events)"
        cur.execute(BROKEN_EVENT.format(received_at=received_long_ago), {"n": 1})
    target = tmp_path / "target"

    assert _accepted_values_status(settings, target) == "pass"
    assert _accepted_values_status(settings, target, "--full-refresh") == "fail"
    assert (
        _accepted_values_status(settings, target, "--vars", "{test_full_history: true}") == "fail"
    )

    with conn.cursor() as cur:
        # received now: inside the window, so an incremental run catches it too
        cur.execute(
            BROKEN_EVENT.format(received_at="(select max(received_at) from exp.events)"), {"n": 2}
        )
    conn.close()
    assert _accepted_values_status(settings, target) == "fail"
