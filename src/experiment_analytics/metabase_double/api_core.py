"""Session, setup, health, users, databases (registration, sync), tables and fields."""

from __future__ import annotations

from typing import Any

import psycopg2

from experiment_analytics.metabase_double import spark_warehouse
from experiment_analytics.metabase_double import validation as v
from experiment_analytics.metabase_double.errors import (
    ApiError,
    invalid,
    not_found,
)
from experiment_analytics.metabase_double.routing import ID, Request, Response, route
from experiment_analytics.metabase_double.spark_warehouse import SparkWarehouse
from experiment_analytics.metabase_double.state import (
    State,
    now,
)
from experiment_analytics.metabase_double.sync import start_sync
from experiment_analytics.warehouse import ConnectionSettings

ENGINES = (
    "postgres",
    "h2",
    "mysql",
    "sqlserver",
    "bigquery-cloud-sdk",
    "snowflake",
    "redshift",
    "sqlite",
    "oracle",
    "presto-jdbc",
    "sparksql",
    "druid",
    "mongo",
    "athena",
    "databricks",
    "clickhouse",
    "starburst",
    "vertica",
)


# ---- session, health, properties, current user ----------------------------------------------
@route("POST", "/api/session", auth=False)
def login(req: Request) -> Any:
    body = v.require_object(req.body)
    username = v.str1(body, "username", required=True)
    password = v.str1(body, "password", required=True)
    for user in req.state.users.values():
        if user["email"].lower() == username.lower() and user["is_active"]:
            if user["_password"] == password:
                return {"id": req.state.new_session(user["id"])}
            break
    raise ApiError(401, {"errors": {"password": "did not match stored password"}})


@route("DELETE", "/api/session")
def logout(req: Request) -> Any:
    req.state.sessions = {t: u for t, u in req.state.sessions.items() if u != req.admin["id"]}
    return Response(204, None)


@route("GET", "/api/session/properties", auth=False)
def properties(req: Request) -> Any:
    return {
        "version": {
            "tag": req.state.version,
            "date": "2025-11-01",
            "branch": "release",
            "hash": "d0ub1e0",
        },
        "setup-token": None,
        "has-user-setup": True,
        "site-name": "Metabase double",
        "site-locale": "en",
        "engines": {engine: {"driver-name": engine} for engine in ENGINES},
        "token-features": {},
    }


@route("POST", "/api/setup", auth=False)
def setup(req: Request) -> Any:
    """Validates like Metabase, then refuses: the double is always set up already."""
    body = v.require_object(req.body)
    v.str1(body, "token", required=True)
    user = v.mapping(body, "user", required=True)
    prefs = v.mapping(body, "prefs", required=True)
    if not isinstance(user.get("email"), str) or "@" not in user["email"]:
        raise invalid("user.email", "value must be a valid email address.")
    if not isinstance(user.get("password"), str):
        raise invalid("user.password", "value must be a string.")
    if not isinstance(prefs.get("site_name"), str) or not prefs["site_name"].strip():
        raise invalid("prefs.site_name", "value must be a non-blank string.")
    raise ApiError(
        403,
        "The /api/setup route can only be used to create the first user, however a user "
        "currently exists.",
    )


@route("GET", "/api/health", auth=False)
def health(req: Request) -> Any:
    return {"status": "ok"}


@route("GET", "/api/user/current")
def current_user(req: Request) -> Any:
    return req.state.user_json(req.admin)


# ---- users ----------------------------------------------------------------------------------
@route("GET", "/api/user")
def list_users(req: Request) -> Any:
    req.require_superuser()
    users = [
        req.state.user_json(u)
        for u in req.state.users.values()
        if u["is_active"] or req.flag("include_deactivated")
    ]
    return {"data": users, "total": len(users), "limit": None, "offset": None}


@route("GET", f"/api/user/{ID}")
def get_user(req: Request) -> Any:
    user = req.state.users.get(req.id)
    if user is None:
        raise not_found()
    if not req.admin["is_superuser"] and req.admin["id"] != user["id"]:
        raise ApiError(403, "You don't have permissions to do that.")
    return req.state.user_json(user)


@route("POST", "/api/user")
def create_user(req: Request) -> Any:
    """POST /api/user; the double also takes `password` so tests can log in as the new user."""
    req.require_superuser()
    body = v.require_object(req.body)
    email = v.str1(body, "email", required=True)
    if "@" not in email:
        raise invalid("email", "value must be a valid email address.")
    if any(u["email"].lower() == email.lower() for u in req.state.users.values()):
        raise invalid("email", "Email address already in use.")
    memberships = v.array(body, "user_group_memberships") or []
    for index, membership in enumerate(memberships):
        if not isinstance(membership, dict) or membership.get("id") not in req.state.groups:
            raise invalid(f"user_group_memberships[{index}]", "value must be {id: <group id>}.")
    user = req.state.create_user(
        email=email,
        first_name=v.str1(body, "first_name"),
        last_name=v.str1(body, "last_name"),
        password=v.str1(body, "password"),
    )
    for membership in memberships:
        req.state.add_membership(
            user["id"], membership["id"], bool(membership.get("is_group_manager"))
        )
    return req.state.user_json(user)


@route("PUT", f"/api/user/{ID}/password")
def set_password(req: Request) -> Any:
    user = req.state.users.get(req.id)
    if user is None:
        raise not_found()
    if not req.admin["is_superuser"] and req.admin["id"] != user["id"]:
        raise ApiError(403, "You don't have permissions to do that.")
    user["_password"] = v.str1(v.require_object(req.body), "password", required=True)
    return req.state.user_json(user)


# ---- databases ----------------------------------------------------------------------------
def register_warehouse(state: State, name: str, settings: ConnectionSettings) -> int:
    with state.lock:
        database = state.create_database(
            name=name,
            engine="postgres",
            details=_details_of(settings),
            settings=settings,
        )
        return database["id"]


def _details_of(settings: ConnectionSettings) -> dict[str, Any]:
    return {
        "host": settings.host,
        "port": settings.port,
        "dbname": settings.dbname,
        "user": settings.user,
        "password": settings.password,
        "ssl": False,
        "schema-filters-type": "all",
        "tunnel-enabled": False,
        "advanced-options": False,
    }


def _visible_to(req: Request, db: dict[str, Any]) -> bool:
    return req.admin["is_superuser"] or (
        req.state.data_permission(req.admin, db["id"])["view-data"] != "blocked"
    )


@route("GET", "/api/database")
def list_databases(req: Request) -> Any:
    include_tables = req.arg("include") == "tables"
    data = []
    for db in req.state.databases.values():
        if not _visible_to(req, db):
            continue
        body = req.state.database_json(db, include_details=req.admin["is_superuser"])
        if include_tables:
            body["tables"] = [req.state.table_json(t) for t in req.state.active_tables(db["id"])]
        data.append(body)
    return {"data": data, "total": len(data)}


def _postgres_connection(details: dict[str, Any]) -> ConnectionSettings:
    settings = ConnectionSettings(
        host=str(details.get("host") or "localhost"),
        port=int(details.get("port") or 5432),
        user=str(details.get("user") or "postgres"),
        password=str(details.get("password") or ""),
        dbname=str(details.get("dbname") or details.get("db") or ""),
    )
    try:
        conn = psycopg2.connect(
            host=settings.host,
            port=settings.port,
            user=settings.user,
            password=settings.password,
            dbname=settings.dbname,
            connect_timeout=5,
        )
        conn.close()
    except psycopg2.Error as exc:
        message = str(exc).strip()
        raise ApiError(
            400, {"message": message, "errors": {"host": message, "dbname": message}}
        ) from exc
    return settings


def _spark_connection(engine: str, details: dict[str, Any]) -> SparkWarehouse:
    """The driver's required properties are checked as Metabase's form does; the connection
    test starts (or reuses) the local Spark session (spark_warehouse's docstring)."""
    missing = spark_warehouse.missing_details(engine, details)
    if missing:
        message = f"{engine} needs {', '.join(missing)} in details."
        raise ApiError(400, {"message": message, "errors": {m: "required" for m in missing}})
    warehouse = SparkWarehouse(engine)
    try:
        spark_warehouse.check_connection(warehouse)
    except Exception as exc:  # what the connection test says, as Metabase answers it
        message = str(exc).strip().splitlines()[0]
        raise ApiError(400, {"message": message, "errors": {"host": message}}) from exc
    return warehouse


@route("POST", "/api/database")
def create_database(req: Request) -> Any:
    req.require_superuser()
    body = v.require_object(req.body)
    name = v.str1(body, "name", required=True)
    engine = v.str1(body, "engine", required=True)
    details = v.mapping(body, "details", required=True)
    if engine not in ENGINES:
        raise invalid("engine", "value must be a valid database engine.")
    is_full_sync = v.boolean(body, "is_full_sync", default=True)
    is_on_demand = v.boolean(body, "is_on_demand", default=False)
    v.enum(body, "connection_source", ("admin", "setup"))
    if engine in spark_warehouse.ENGINES:
        settings: ConnectionSettings | SparkWarehouse = _spark_connection(engine, details)
    elif engine == "postgres":
        settings = _postgres_connection(details)
    else:
        raise ApiError(
            400,
            {
                "message": f"The Metabase double connects only to postgres, sparksql and "
                f"databricks, not {engine}.",
                "errors": {"engine": "unsupported"},
            },
        )
    database = req.state.create_database(
        name=name,
        engine=engine,
        details=dict(details),
        settings=settings,
        is_full_sync=bool(is_full_sync),
        is_on_demand=bool(is_on_demand),
        extra={k: body[k] for k in ("auto_run_queries", "cache_ttl") if k in body},
    )
    start_sync(req.state, database["id"], req.sync_delay)
    return req.state.database_json(database, include_details=True)


def _database(req: Request) -> dict[str, Any]:
    db = req.state.databases.get(req.id)
    if db is None or not _visible_to(req, db):
        raise not_found()
    return db


@route("GET", f"/api/database/{ID}")
def get_database(req: Request) -> Any:
    db = _database(req)
    body = req.state.database_json(db, include_details=req.admin["is_superuser"])
    include = req.arg("include")
    if include in ("tables", "tables.fields"):
        body["tables"] = [
            req.state.table_json(t, with_fields=include == "tables.fields")
            for t in req.state.active_tables(db["id"])
        ]
    return body


@route("GET", f"/api/database/{ID}/metadata")
def database_metadata(req: Request) -> Any:
    db = _database(req)
    include_hidden = req.flag("include_hidden")
    skip_fields = req.flag("skip_fields")
    body = req.state.database_json(db, include_details=req.admin["is_superuser"])
    tables = []
    for table in req.state.active_tables(db["id"]):
        if table["visibility_type"] is not None and not include_hidden:
            continue
        entry = req.state.table_json(table)
        if not skip_fields:
            fields = req.state.table_fields(table)
            if not include_hidden:
                fields = [f for f in fields if f["visibility_type"] not in ("sensitive", "retired")]
            entry["fields"] = [req.state.field_json(f) for f in fields]
        entry["segments"] = []
        entry["metrics"] = []
        tables.append(entry)
    body["tables"] = tables
    return body


@route("POST", f"/api/database/{ID}/sync_schema")
def sync_schema(req: Request) -> Any:
    req.require_superuser()
    _database(req)
    start_sync(req.state, req.id, req.sync_delay)
    return {"status": "ok"}


@route("DELETE", f"/api/database/{ID}")
def delete_database(req: Request) -> Any:
    req.require_superuser()
    _database(req)
    del req.state.databases[req.id]
    for table_id in [t["id"] for t in req.state.tables.values() if t["db_id"] == req.id]:
        for field_id in [f["id"] for f in req.state.fields.values() if f["table_id"] == table_id]:
            del req.state.fields[field_id]
        del req.state.tables[table_id]
    for per_db in req.state.data_graph["groups"].values():
        per_db.pop(req.id, None)
    return Response(204, None)


# ---- tables and fields ----------------------------------------------------------------------
def _table(req: Request) -> dict[str, Any]:
    table = req.state.tables.get(req.id)
    if table is None or not table["active"]:
        raise not_found()
    if not _visible_to(req, req.state.databases[table["db_id"]]):
        raise ApiError(403, "You don't have permissions to do that.")
    return table


@route("GET", "/api/table")
def list_tables(req: Request) -> Any:
    term = (req.arg("term") or "").lower()
    tables = []
    for table in sorted(req.state.tables.values(), key=lambda t: t["id"]):
        if not table["active"] or not _visible_to(req, req.state.databases[table["db_id"]]):
            continue
        if (
            term
            and term not in table["name"].lower()
            and term not in (table["display_name"] or "").lower()
        ):
            continue
        tables.append(
            req.state.table_json(table, with_db=True, include_details=req.admin["is_superuser"])
        )
    return tables


@route("GET", f"/api/table/{ID}")
def get_table(req: Request) -> Any:
    return req.state.table_json(
        _table(req), with_db=True, include_details=req.admin["is_superuser"]
    )


@route("GET", f"/api/table/{ID}/query_metadata")
def table_query_metadata(req: Request) -> Any:
    table = _table(req)
    body = req.state.table_json(table, with_db=True, include_details=req.admin["is_superuser"])
    fields = req.state.table_fields(table)
    if not req.flag("include_hidden_fields"):
        fields = [f for f in fields if f["visibility_type"] != "hidden"]
    if not req.flag("include_sensitive_fields"):
        fields = [f for f in fields if f["visibility_type"] not in ("sensitive", "retired")]
    body["fields"] = [req.state.field_json(f) for f in fields]
    body["segments"] = []
    body["metrics"] = []
    return body


@route("PUT", f"/api/table/{ID}")
def update_table(req: Request) -> Any:
    req.require_superuser()
    table = _table(req)
    body = v.require_object(req.body)
    updates: dict[str, Any] = {}
    if "display_name" in body:
        updates["display_name"] = v.str1(body, "display_name")
    for key in ("description", "caveats", "points_of_interest", "entity_type"):
        if key in body:
            updates[key] = v.string(body, key)
    if "visibility_type" in body:
        updates["visibility_type"] = v.enum(
            body, "visibility_type", ("technical", "hidden", "cruft")
        )
    if "field_order" in body and body["field_order"] is not None:
        updates["field_order"] = v.enum(
            body, "field_order", ("alphabetical", "custom", "database", "smart")
        )
    if "data_authority" in body and body["data_authority"] is not None:
        updates["data_authority"] = v.enum(
            body, "data_authority", ("computed", "authoritative", "unconfigured", "ingested")
        )
    if "show_in_getting_started" in body:
        updates["show_in_getting_started"] = bool(v.boolean(body, "show_in_getting_started"))
    if updates.get("display_name", "") is None:
        updates.pop("display_name")  # a null display name leaves the current one
    table.update(updates)
    table["updated_at"] = now()
    return req.state.table_json(table, with_db=True, include_details=True)


@route("PUT", f"/api/table/{ID}/fields/order")
def order_fields(req: Request) -> Any:
    req.require_superuser()
    table = _table(req)
    if not isinstance(req.body, list):
        raise invalid("field_order", "value must be an array of field ids (a bare JSON array).")
    own = {f["id"] for f in req.state.table_fields(table)}
    for field_id in req.body:
        if not isinstance(field_id, int) or isinstance(field_id, bool) or field_id < 1:
            raise invalid("field_order", "each value must be an integer greater than zero.")
        if field_id not in own:
            raise invalid("field_order", f"field {field_id} is not a field of table {table['id']}.")
    if len(set(req.body)) != len(req.body):
        raise invalid("field_order", "field ids must be distinct.")
    for position, field_id in enumerate(req.body):
        req.state.fields[field_id]["custom_position"] = position
    table["field_order"] = "custom"
    return {"success": True}


def _field(req: Request) -> dict[str, Any]:
    field = req.state.fields.get(req.id)
    if field is None:
        raise not_found()
    return field


@route("GET", f"/api/field/{ID}")
def get_field(req: Request) -> Any:
    field = _field(req)
    body = req.state.field_json(field)
    body["table"] = req.state.table_json(req.state.tables[field["table_id"]])
    return body


VISIBILITY = ("retired", "sensitive", "normal", "hidden", "details-only")
HAS_FIELD_VALUES = ("auto-list", "list", "none", "search")


@route("PUT", f"/api/field/{ID}")
def update_field(req: Request) -> Any:
    req.require_superuser()
    field = _field(req)
    body = v.require_object(req.body)
    updates: dict[str, Any] = {}
    for key in ("display_name", "description", "caveats", "points_of_interest"):
        if key in body:
            updates[key] = v.str1(body, key)
    if "semantic_type" in body:
        value = body["semantic_type"]
        if value is not None and (not isinstance(value, str) or not value.startswith("type/")):
            raise invalid("semantic_type", "value must be a valid semantic or relation type.")
        updates["semantic_type"] = value
    if "coercion_strategy" in body:
        value = body["coercion_strategy"]
        if value is not None and (not isinstance(value, str) or not value.startswith("Coercion/")):
            raise invalid("coercion_strategy", "value must be a valid coercion strategy.")
        updates["coercion_strategy"] = value
    if "fk_target_field_id" in body:
        target = v.integer(body, "fk_target_field_id")
        if target is not None and target not in req.state.fields:
            raise invalid("fk_target_field_id", f"no field with id {target}.")
        updates["fk_target_field_id"] = target
    if body.get("visibility_type") is not None:
        updates["visibility_type"] = v.enum(body, "visibility_type", VISIBILITY)
    if body.get("has_field_values") is not None:
        updates["has_field_values"] = v.enum(body, "has_field_values", HAS_FIELD_VALUES)
    if "settings" in body:
        updates["settings"] = v.mapping(body, "settings")
    if "nfc_path" in body:
        value = v.array(body, "nfc_path")
        if value is not None and not all(isinstance(p, str) and p for p in value):
            raise invalid("nfc_path", "value must be an array of non-blank strings.")
        updates["nfc_path"] = value
    if "json_unfolding" in body:
        updates["json_unfolding"] = bool(v.boolean(body, "json_unfolding"))
    if updates.get("display_name", "") is None:
        updates.pop("display_name")
    field.update(updates)
    field["updated_at"] = now()
    return req.state.field_json(field)
