"""Metabase's schema sync, asynchronous-ish: POST .../sync_schema returns at once; after
`delay` seconds the catalogue is read and new or changed tables appear with
initial_sync_status "incomplete"; after another `delay` they become "complete"."""

from __future__ import annotations

import logging
import threading
from typing import Any

from experiment_analytics.metabase_double.catalogue import (
    CatalogueTable,
    humanize,
    read_catalogue,
)
from experiment_analytics.metabase_double.spark_warehouse import (
    SparkWarehouse,
    read_spark_catalogue,
)
from experiment_analytics.metabase_double.state import State, nanoid, now, wait

_logger = logging.getLogger(__name__)


def sync_now(state: State, db_id: int) -> None:
    """Synchronous sync (the pre-registered warehouse at start): everything complete after."""
    catalogue = _read(state.databases[db_id]["_settings"])
    with state.lock:
        apply_catalogue(state, db_id, catalogue)
        _complete(state, db_id)


def _read(settings) -> list[CatalogueTable]:
    if isinstance(settings, SparkWarehouse):
        return read_spark_catalogue(settings)
    return read_catalogue(settings)


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
        catalogue = _read(settings)
    except Exception:  # a sync failure is logged, as Metabase does, and leaves state as it was
        _logger.exception("sync of database %s failed", db_id)
        return
    with state.lock:
        if db_id not in state.databases:
            return
        changed = apply_catalogue(state, db_id, catalogue)
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


# ---- applying a catalogue to the state -----------------------------------------------------
def apply_catalogue(state: State, db_id: int, catalogue: list[CatalogueTable]) -> list[int]:
    """Upsert tables/fields from a catalogue, keeping ids and user edits. Returns the ids of
    tables that changed (they get initial_sync_status "incomplete")."""
    stamp = now()
    changed: list[int] = []
    seen_tables: set[int] = set()
    by_key = {(t["schema"], t["name"]): t for t in state.tables.values() if t["db_id"] == db_id}
    for entry in catalogue:
        table = by_key.get((entry.schema, entry.name))
        if table is None:
            table_id = state.next_id("table")
            table = {
                "id": table_id,
                "db_id": db_id,
                "schema": entry.schema,
                "name": entry.name,
                "display_name": humanize(entry.name),
                "description": entry.comment,
                "entity_type": "entity/GenericTable",
                "visibility_type": None,
                "field_order": "database",
                "active": True,
                "initial_sync_status": "incomplete",
                "caveats": None,
                "points_of_interest": None,
                "show_in_getting_started": False,
                "data_authority": "unconfigured",
                "is_upload": False,
                "entity_id": nanoid(),
                "created_at": stamp,
                "updated_at": stamp,
            }
            state.tables[table_id] = table
            changed.append(table_id)
        else:
            if not table["active"]:
                table["active"] = True
                changed.append(table["id"])
            if table["description"] is None and entry.comment:
                table["description"] = entry.comment
        seen_tables.add(table["id"])
        if _apply_columns(state, table, entry, stamp) and table["id"] not in changed:
            changed.append(table["id"])
    for table in by_key.values():
        if table["id"] not in seen_tables and table["active"]:
            table["active"] = False
            table["updated_at"] = stamp
    _resolve_foreign_keys(state, db_id, catalogue)
    for table_id in changed:
        state.tables[table_id]["initial_sync_status"] = "incomplete"
    return changed


def _apply_columns(state: State, table: dict[str, Any], entry: CatalogueTable, stamp: str) -> bool:
    changed = False
    existing = {f["name"]: f for f in state.fields.values() if f["table_id"] == table["id"]}
    seen: set[str] = set()
    for column in entry.columns:
        seen.add(column.name)
        field = existing.get(column.name)
        if field is None:
            field_id = state.next_id("field")
            field = {
                "id": field_id,
                "table_id": table["id"],
                "name": column.name,
                "display_name": humanize(column.name),
                "description": column.comment,
                "database_type": column.database_type,
                "base_type": column.base_type,
                "effective_type": column.base_type,
                "semantic_type": "type/PK" if column.is_pk else None,
                "coercion_strategy": None,
                "fk_target_field_id": None,
                "has_field_values": "none",
                "visibility_type": "normal",
                "position": column.position,
                "custom_position": 0,
                "database_position": column.position,
                "database_is_nullable": column.is_nullable,
                "settings": None,
                "nfc_path": None,
                "json_unfolding": False,
                "caveats": None,
                "points_of_interest": None,
                "fingerprint": None,
                "parent_id": None,
                "active": True,
                "created_at": stamp,
                "updated_at": stamp,
            }
            state.fields[field_id] = field
            changed = True
            continue
        if not field["active"] or field["database_type"] != column.database_type:
            changed = True
        field.update(
            active=True,
            database_type=column.database_type,
            base_type=column.base_type,
            effective_type=column.base_type,
            database_position=column.position,
            position=column.position,
        )
        if field["description"] is None and column.comment:
            field["description"] = column.comment
    for name, field in existing.items():
        if name not in seen and field["active"]:
            field["active"] = False
            changed = True
    return changed


def _resolve_foreign_keys(state: State, db_id: int, catalogue: list[CatalogueTable]) -> None:
    tables = {(t["schema"], t["name"]): t for t in state.tables.values() if t["db_id"] == db_id}
    for entry in catalogue:
        for column in entry.columns:
            if column.fk_target is None:
                continue
            source = _find_field(state, tables[(entry.schema, entry.name)]["id"], column.name)
            target_table = tables.get(column.fk_target[:2])
            target = target_table and _find_field(state, target_table["id"], column.fk_target[2])
            if source and target and source["fk_target_field_id"] is None:
                source["fk_target_field_id"] = target["id"]
                source["semantic_type"] = source["semantic_type"] or "type/FK"


def _find_field(state: State, table_id: int, name: str) -> dict[str, Any] | None:
    for field in state.fields.values():
        if field["table_id"] == table_id and field["name"] == name:
            return field
    return None
