"""Fixtures for the Metabase double's tests: a small warehouse with comments, a running double
pre-registered with it, and an authenticated API client."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from experiment_analytics.metabase_double import MetabaseDouble
from experiment_analytics.warehouse import ConnectionSettings, connect

WAREHOUSE_DDL = """
create schema analytics;
create table analytics.experiments (
    experiment_id text primary key,
    experiment_name text not null,
    started_on date
);
comment on table analytics.experiments is 'One row per experiment.';
comment on column analytics.experiments.experiment_id is 'The experiment key.';
comment on column analytics.experiments.experiment_name is 'Human name of the experiment.';
create table analytics.variant_daily_metrics (
    experiment_id text references analytics.experiments (experiment_id),
    variant_name text,
    metric_date date,
    conversions integer,
    cost_usd numeric(12, 4)
);
comment on table analytics.variant_daily_metrics is 'Daily metrics per variant.';
comment on column analytics.variant_daily_metrics.metric_date is 'Day of the metrics (UTC).';
create view analytics.recent_metrics as
    select * from analytics.variant_daily_metrics where metric_date >= date '2026-11-10';
insert into analytics.experiments values
    ('exp_a', 'Prompt A/B', date '2026-11-01'),
    ('exp_b', 'Model swap', date '2026-11-15');
insert into analytics.variant_daily_metrics values
    ('exp_a', 'control', date '2026-11-01', 10, 1.5),
    ('exp_a', 'treatment', date '2026-11-01', 12, 1.75),
    ('exp_a', 'control', date '2026-11-12', 8, 1.0),
    ('exp_b', 'control', date '2026-11-20', 5, 0.5),
    ('exp_b', 'treatment', date '2026-11-21', 7, 0.25);
"""


class Api:
    """A tiny client for the tests: base URL + auth header, raw `requests.Response` back."""

    def __init__(self, url: str, headers: dict[str, str] | None = None) -> None:
        self.url = url
        self.session = requests.Session()
        self.session.headers.update(headers or {})

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.session.request(method, self.url + path, timeout=30, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> requests.Response:
        return self.call("POST", path, json=json, **kwargs)

    def put(self, path: str, json: Any = None, **kwargs: Any) -> requests.Response:
        return self.call("PUT", path, json=json, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("DELETE", path, **kwargs)

    def ok(self, method: str, path: str, json: Any = None, **kwargs: Any) -> Any:
        response = self.call(method, path, json=json, **kwargs)
        assert response.status_code < 300, (response.status_code, response.text)
        return response.json() if response.content else None


@pytest.fixture(scope="session")
def mb_warehouse(new_database) -> ConnectionSettings:
    settings = new_database("mb_double")
    conn = connect(settings)
    with conn.cursor() as cur:
        cur.execute(WAREHOUSE_DDL)
    conn.close()
    return settings


@pytest.fixture(scope="session")
def double(mb_warehouse: ConnectionSettings) -> Iterator[MetabaseDouble]:
    with MetabaseDouble(warehouse=mb_warehouse, sync_delay_seconds=0.05) as running:
        yield running


@pytest.fixture
def api(double: MetabaseDouble) -> Api:
    double.clear_faults()
    return Api(double.url, {"X-API-KEY": double.api_key})


@pytest.fixture
def anonymous(double: MetabaseDouble) -> Api:
    return Api(double.url)


@pytest.fixture
def bare_double() -> Iterator[MetabaseDouble]:
    """A double without a warehouse, for tests that need a fresh state."""
    with MetabaseDouble(sync_delay_seconds=0.05) as running:
        yield running


def native_card(database_id: int, sql: str = "select 1 as one", **extra: Any) -> dict[str, Any]:
    return {
        "name": extra.pop("name", "A card"),
        "display": "table",
        "visualization_settings": {},
        "dataset_query": {"database": database_id, "type": "native", "native": {"query": sql}},
        **extra,
    }


def field_id(api: Api, database_id: int, table: str, column: str) -> int:
    metadata = api.ok("GET", f"/api/database/{database_id}/metadata")
    for entry in metadata["tables"]:
        if entry["name"] == table:
            for field in entry["fields"]:
                if field["name"] == column:
                    return field["id"]
    raise AssertionError(f"no field {table}.{column}")
