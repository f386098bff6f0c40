"""The preview reads the warehouse with the rights a dashboard has: Metabase's read-only role."""

from __future__ import annotations

from experiment_analytics.preview.build import PreviewOptions


def test_the_preview_connects_as_the_read_only_role_by_default(monkeypatch):
    monkeypatch.setenv("PGUSER", "postgres")
    monkeypatch.setenv("WAREHOUSE_READER_USER", "metabase_reader")
    monkeypatch.setenv("WAREHOUSE_READER_PASSWORD", "secret")
    warehouse = PreviewOptions().warehouse
    assert (warehouse.user, warehouse.password) == ("metabase_reader", "secret")
