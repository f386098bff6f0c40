"""Step 3: model and column descriptions, semantic types, visibility and foreign keys, pushed by
dbt-metabase's Python API from the dbt YAML.

dbt-metabase compares before it writes, so an unchanged project sends no writes. Two adjustments
keep that true for the whole run: the publisher has already triggered the schema sync and waited
for it (with progress), so dbt-metabase's own sync trigger is replaced by a no-op and its poll
period shortened; and it reuses our credentials (API key, or our session) instead of logging in
again. Its requests go through the same retry policy and are counted in the summary.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path

from dbtmetabase import DbtMetabase
from dbtmetabase import _models as dbtmetabase_models
from dbtmetabase.errors import MetabaseStateError
from requests.adapters import HTTPAdapter

from experiment_analytics.metabase.client import MetabaseClient
from experiment_analytics.metabase.errors import PublisherError

_logger = logging.getLogger(__name__)


@contextlib.contextmanager
def _short_sync_poll(seconds: float) -> Iterator[None]:
    saved = dbtmetabase_models._SYNC_PERIOD
    dbtmetabase_models._SYNC_PERIOD = seconds
    try:
        yield
    finally:
        dbtmetabase_models._SYNC_PERIOD = saved


def export_model_metadata(
    client: MetabaseClient, manifest_path: Path, database_name: str, *, api_key: str | None
) -> None:
    session_id = client.session.headers.get("X-Metabase-Session")
    dbm = DbtMetabase(
        manifest_path=manifest_path,
        metabase_url=client.url,
        metabase_api_key=api_key,
        metabase_session_id=None if api_key else session_id,
        http_timeout=int(client.timeout),
        http_adapter=HTTPAdapter(max_retries=client.retry),
    )
    dbm.metabase.session.hooks["response"].append(client._count)
    dbm.metabase.sync_database_schema = lambda uid: None  # synced and waited for already
    _logger.info("pushing model and column metadata with dbt-metabase")
    try:
        with _short_sync_poll(0.5):
            dbm.export_models(metabase_database=database_name, sync_timeout=5)
    except MetabaseStateError as exc:
        raise PublisherError(
            f"dbt-metabase could not push model metadata to {database_name!r}: {exc} "
            "(is every model built? run `dbt build` first)"
        ) from None
