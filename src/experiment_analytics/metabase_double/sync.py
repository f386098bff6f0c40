"""Metabase's schema sync, asynchronous-ish: POST .../sync_schema returns at once; after
`delay` seconds the catalogue is read and new or changed tables appear with
initial_sync_status "incomplete"; after another `delay` they become "complete"."""

from __future__ import annotations

import logging
import threading

from experiment_analytics.metabase_double.catalogue import read_catalogue
from experiment_analytics.metabase_double.state import State, wait

_logger = logging.getLogger(__name__)


def sync_now(state: State, db_id: int) -> None:
    """Synchronous sync (the pre-registered warehouse at start): everything complete after."""
    settings = state.databases[db_id]["_settings"]
    catalogue = read_catalogue(settings)
    with state.lock:
        state.apply_catalogue(db_id, catalogue)
        _complete(state, db_id)


def start_sync(state: State, db_id: int, delay: float) -> threading.Thread:
    thread = threading.Thread(
        target=_run, args=(state, db_id, delay), name=f"mb-double-sync-{db_id}", daemon=True
    )
    with state.lock:
        state.sync_threads = [t for t in state.sync_threads if t.is_alive()]
        state.sync_threads.append(thread)
    thread.start()
    return thread


def _run(state: State, db_id: int, delay: float) -> None:
    if wait(delay, state.stopping):
        return
    with state.lock:
        database = state.databases.get(db_id)
        settings = database and database["_settings"]
    if settings is None:
        return
    try:
        catalogue = read_catalogue(settings)
    except Exception:  # a sync failure is logged, as Metabase does, and leaves state as it was
        _logger.exception("sync of database %s failed", db_id)
        return
    with state.lock:
        if db_id not in state.databases:
            return
        changed = state.apply_catalogue(db_id, catalogue)
    _logger.debug("database %s synced; %d tables changed", db_id, len(changed))
    if wait(delay, state.stopping):
        return
    with state.lock:
        if db_id in state.databases:
            _complete(state, db_id)


def _complete(state: State, db_id: int) -> None:
    state.databases[db_id]["initial_sync_status"] = "complete"
    for table in state.tables.values():
        if table["db_id"] == db_id:
            table["initial_sync_status"] = "complete"
