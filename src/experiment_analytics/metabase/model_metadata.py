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
import json
import logging
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import requests
from dbtmetabase import DbtMetabase
from dbtmetabase import _models as dbtmetabase_models
from dbtmetabase.errors import MetabaseStateError
from dbtmetabase.format import Filter
from dbtmetabase.manifest import Manifest
from requests.adapters import HTTPAdapter

from experiment_analytics.metabase.client import MetabaseClient
from experiment_analytics.metabase.errors import MetabaseApiError, PublisherError

_logger = logging.getLogger(__name__)


_POLL_ATTRIBUTE = "_SYNC_PERIOD"
# Only what people query gets its metadata pushed: staging and intermediate models are not
# for Metabase users. Names with a double underscore are also left out: Metabase humanizes
# "stg_exp__events" to "Stg Exp Events", which dbt-metabase does not recognise as the default
# name, so it would re-send `display_name: null` on every run (never converging). The same
# holds for a column name with a double underscore (e.g. the generated pair-product columns of
# arm_day_pair_statistics, `accepted_count__nn`): a model with such a column is left out too.
EXCLUDED_MODELS = ("stg_*", "int_*", "*__*")


def models_with_double_underscore_columns(manifest_path: Path) -> list[str]:
    """The models of the manifest with a documented column whose name holds `__`."""
    manifest = json.loads(manifest_path.read_text())
    return sorted(
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        and any("__" in column for column in node.get("columns", {}))
    )


def not_in_warehouse(manifest_path: Path, present: frozenset[tuple[str, str]]) -> list[str]:
    """The names of the models and sources of the manifest, as dbt-metabase reads them, whose
    relation (schema, table) the warehouse lacks: e.g. on Spark, the models not ported yet and
    the source `dbt_history.dbt_build_history` (the build-history hooks create it on PostgreSQL
    only). dbt-metabase waits for every model AND source it reads ("Unable to sync models with
    Metabase" otherwise), and its filter matches names only, so a built relation that shares
    its name with a missing one is left out of the push too (none does in this project)."""
    return sorted(
        {
            model.name
            for model in Manifest(manifest_path).read_models()
            if (model.schema, model.alias) not in present
        }
    )


_LINE = re.compile(r"^(Table|Field) '.*' (is up to date|will be updated)")


class _Tally(logging.Handler):
    """Counts dbt-metabase's per-table and per-field lines ("Field 'x' is up to date")."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.counts: Counter[tuple[str, str]] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        match = _LINE.match(record.getMessage())
        if match:
            state = "up to date" if match.group(2) == "is up to date" else "updated"
            self.counts[(match.group(1).lower(), state)] += 1

    def summary(self) -> str:
        parts = []
        for kind in ("table", "field"):
            same, changed = self.counts[(kind, "up to date")], self.counts[(kind, "updated")]
            parts.append(f"{same} {kind}s up to date, {changed} updated")
        return "; ".join(parts)


@contextlib.contextmanager
def _quiet_dbt_metabase(verbose: bool) -> Iterator[_Tally]:
    """Count dbt-metabase's per-field lines; show them only when verbose."""
    logger = logging.getLogger("dbtmetabase")
    tally = _Tally()
    logger.addHandler(tally)
    saved = logger.propagate, logger.level
    if not verbose:
        logger.propagate = False
    logger.setLevel(logging.INFO)
    try:
        yield tally
    finally:
        logger.removeHandler(tally)
        logger.propagate, _ = saved
        logger.setLevel(saved[1])


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
    client: MetabaseClient,
    manifest_path: Path,
    database_name: str,
    *,
    api_key: str | None,
    verbose: bool = False,
    relations_in_warehouse: frozenset[tuple[str, str]] | None = None,
) -> str:
    """Push the metadata; return a one-line summary ("412 fields up to date, 3 updated").

    `relations_in_warehouse`: the (schema, table) pairs the warehouse has, where it may lack
    some of the project's (a target not every model is ported to); None: it has them all."""
    not_built = (
        []
        if relations_in_warehouse is None
        else not_in_warehouse(manifest_path, relations_in_warehouse)
    )
    session_id = client.session.headers.get("X-Metabase-Session")
    dbm = DbtMetabase(
        manifest_path=manifest_path,
        metabase_url=client.url,
        metabase_api_key=api_key,
        metabase_session_id=None if api_key else session_id,
        http_timeout=int(client.timeout),
        http_adapter=HTTPAdapter(max_retries=client.retry),
        http_headers=client.extra_headers or None,
        skip_verify=client.verify is False,
        cert=client.verify if isinstance(client.verify, str) else None,
    )
    dbm.metabase.session.hooks["response"].append(client._count)
    dbm.metabase.sync_database_schema = lambda uid: None  # synced and waited for already
    try:
        with _short_sync_poll(0.5), _quiet_dbt_metabase(verbose) as tally:
            dbm.export_models(
                metabase_database=database_name,
                sync_timeout=5,
                model_filter=Filter(
                    exclude=[
                        *EXCLUDED_MODELS,
                        *models_with_double_underscore_columns(manifest_path),
                        # models and sources the warehouse lacks (not ported to its engine yet)
                        *not_built,
                    ]
                ),
            )
        return tally.summary()
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
