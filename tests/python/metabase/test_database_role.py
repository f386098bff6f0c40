"""The publisher warns when the Metabase database it finds connects as a role that can write
(README "Roles": Metabase should connect as the read-only analytics_reader)."""

from __future__ import annotations

from experiment_analytics.metabase.run import PublishOptions, publish

from .conftest import fresh_double


def test_a_database_that_connects_as_a_writer_is_warned_about(demo_settings, compiled_target):
    # The double registers the warehouse with the settings it is given: here the superuser.
    with fresh_double(demo_settings) as double:
        summary = publish(
            PublishOptions(
                metabase_url=double.url,
                metabase_api_key=double.api_key,
                warehouse=demo_settings,
                target_dir=compiled_target,
                compile=False,
                plan=True,
                sync_timeout=30,
            )
        )
    warnings = [note for note in summary.notes if "connects as" in note]
    assert len(warnings) == 1, summary.notes
    assert "connects as 'postgres', which is a superuser" in warnings[0]
    assert 'Connect it as the read-only role (README "Roles")' in warnings[0]
