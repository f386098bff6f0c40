"""Step 3: model and column descriptions, semantic types, visibility and foreign keys, pushed by
dbt-metabase's Python API from the dbt YAML.

dbt-metabase compares before it writes, so an unchanged project sends no writes. It reuses our
credentials (API key, or our session) instead of logging in again; its requests go through the
same retry policy and are counted in the summary.

Sync (decision, see metabase/README.md): the publisher has already triggered Metabase's schema
sync and waited until every relation of the dbt project is there (with progress), so
dbt-metabase's own sync trigger is replaced on its client instance by a no-op. Its public
`sync_timeout` cannot skip its poll loop: `export_models` always sleeps `_SYNC_PERIOD` (5 s)
once before reading the metadata, and `sync_timeout=0` still sleeps. So we pass a short
`sync_timeout` (our sync is done; one poll finds everything) and shorten the poll period for the
duration of the call, only if dbt-metabase still has that module constant (checked, never
assumed: if a future version drops it, the call just takes the 5 s).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path

import requests
from dbtmetabase import DbtMetabase
from dbtmetabase import _models as dbtmetabase_models
from dbtmetabase.errors import MetabaseStateError
from dbtmetabase.format import Filter
from requests.adapters import HTTPAdapter

from experiment_analytics.metabase.client import MetabaseClient
from experiment_analytics.metabase.errors import MetabaseApiError, PublisherError

_logger = logging.getLogger(__name__)


_POLL_ATTRIBUTE = "_SYNC_PERIOD"
# Only what people query gets its metadata pushed: staging and intermediate models are not
# for Metabase users. Names with a double underscore are also left out: Metabase humanizes
# "stg_exp__events" to "Stg Exp Events", which dbt-metabase does not recognise as the default
# name, so it would re-send `display_name: null` on every run (never converging).
EXCLUDED_MODELS = ("stg_*", "int_*", "*__*")


@contextlib.contextmanager
def _short_sync_poll(seconds: float) -> Iterator[None]:
    saved = getattr(dbtmetabase_models, _POLL_ATTRIBUTE, None)
    if not isinstance(saved, int | float):
        _logger.debug("dbt-metabase has no %s; its poll keeps its own period", _POLL_ATTRIBUTE)
        yield
        return
    setattr(dbtmetabase_models, _POLL_ATTRIBUTE, seconds)
    try:
        yield
    finally:
        setattr(dbtmetabase_models, _POLL_ATTRIBUTE, saved)


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
            dbm.export_models(
                metabase_database=database_name,
                sync_timeout=5,
                model_filter=Filter(exclude=EXCLUDED_MODELS),
            )
    except MetabaseStateError as exc:
        raise PublisherError(
            f"dbt-metabase could not push model metadata to {database_name!r}: {exc} "
            "(is every model built? run `dbt build` first)"
        ) from None
    except requests.HTTPError as exc:
        response = exc.response
        request = response.request if response is not None else None
        said = response.text[:500] if response is not None else str(exc)
        raise MetabaseApiError(
            client.redact(
                f"model metadata (dbt-metabase): Metabase answered "
                f"{response.status_code if response is not None else '?'} to "
                f"{request.method if request else '?'} {request.path_url if request else '?'}: "
                f"{said}"
            ),
            status=response.status_code if response is not None else None,
        ) from None
    except requests.RequestException as exc:
        raise MetabaseApiError(
            client.redact(
                f"model metadata (dbt-metabase): no answer from Metabase at {client.url} "
                f"({type(exc).__name__}: {exc})"
            )
        ) from None
