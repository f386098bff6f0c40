"""Roles by job: a builder that owns the models' schema and runs dbt, a reader for Metabase.

`experiment-analytics roles create` (also part of `make demo` and `make build`) creates both
login roles on the embedded server, with passwords generated once and stored next to the
superuser's in `.pg/pgpass`, and applies `roles.sql` to the database: idempotent. On a server
this project did not start it refuses (your DBA runs `roles.sql`, see README "Roles"), unless
`--allow-other-server`, in which case the passwords come from WAREHOUSE_BUILDER_PASSWORD and
WAREHOUSE_READER_PASSWORD.

What the reader may SELECT is granted by dbt itself on every build (`+grants` in
dbt_project.yml), so a new mart is readable as soon as dbt creates it, and staging views that
Metabase does not read stay closed (PostgreSQL's default privileges could not tell a mart from a
staging view in the same schema).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from importlib import resources

from psycopg2 import sql

from experiment_analytics.errors import WarehouseError
from experiment_analytics.warehouse import credentials, location
from experiment_analytics.warehouse.connection import ConnectionSettings, connect
from experiment_analytics.warehouse.ownership import ensure_project_server

_logger = logging.getLogger(__name__)

BUILDER = "analytics_builder"
READER = "analytics_reader"


@dataclass(frozen=True)
class RoleNames:
    builder: str = BUILDER
    reader: str = READER
    schema: str = "analytics"
    exp_schema: str = "exp"

    @classmethod
    def from_env(cls) -> RoleNames:
        env = os.environ
        return cls(
            builder=env.get("WAREHOUSE_BUILDER_USER") or BUILDER,
            reader=env.get("DBT_READER_ROLE") or env.get("WAREHOUSE_READER_USER") or READER,
            schema=env.get("DBT_SCHEMA") or "analytics",
            exp_schema=env.get("EXP_VIEWS_SCHEMA") or "exp",
        )


def grants_template() -> str:
    return resources.files(__package__).joinpath("roles.sql").read_text()


def render_grants_sql(names: RoleNames, database: str) -> str:
    """roles.sql with plain names filled in (for people to read and run themselves)."""
    return grants_template().format(database=database, **names.__dict__)


def render_setup_sql(names: RoleNames, database: str) -> str:
    """What a DBA runs on their own warehouse (README "Roles", `experiment-analytics roles sql`):
    the two login roles, then roles.sql without its header comment."""
    grants = render_grants_sql(names, database).split("\n\n", 1)[1]
    return (
        f"create role {names.builder} login password '<choose one>';\n"
        f"create role {names.reader} login password '<choose another>';\n" + grants
    )


def ensure_login_roles(settings: ConnectionSettings, passwords: dict[str, str]) -> None:
    """Create (or update the password of) each login role; `settings` must be a superuser."""
    conn = connect(settings.with_database("postgres"))
    try:
        with conn.cursor() as cur:
            for role, password in passwords.items():
                cur.execute("select 1 from pg_roles where rolname = %s", (role,))
                verb = "alter" if cur.fetchone() else "create"
                cur.execute(
                    sql.SQL(verb + " role {} login password %s").format(sql.Identifier(role)),
                    (password,),
                )
    finally:
        conn.close()


def _embedded_passfile(settings: ConnectionSettings):
    pgdata = location.default_pgdata()
    running = location.running_server(pgdata)
    local = settings.host in credentials.LOCAL_HOSTS
    if running and local and running.port == settings.port:
        return credentials.passfile_for(pgdata)
    return None


def _passwords(settings: ConnectionSettings, names: RoleNames, passfile=None) -> dict[str, str]:
    passfile = passfile or _embedded_passfile(settings)
    if passfile is not None:
        return {
            role: credentials.ensure_password(passfile, role, port=settings.port)
            for role in (names.builder, names.reader)
        }
    env = os.environ
    missing = [
        var
        for var in ("WAREHOUSE_BUILDER_PASSWORD", "WAREHOUSE_READER_PASSWORD")
        if not env.get(var)
    ]
    if missing:
        raise WarehouseError(
            f"set {' and '.join(missing)} to the passwords the roles {names.builder} and "
            f"{names.reader} should have on {settings.describe()}"
        )
    return {
        names.builder: env["WAREHOUSE_BUILDER_PASSWORD"],
        names.reader: env["WAREHOUSE_READER_PASSWORD"],
    }


def _reassign_to_builder(cur, names: RoleNames) -> int:
    """Relations and functions dbt manages but another role owns (e.g. built as superuser)."""
    cur.execute(
        """
        select 'table', n.nspname, c.relname, null
        from pg_class as c join pg_namespace as n on n.oid = c.relnamespace
        where c.relkind in ('r', 'v', 'm', 'p')
            and pg_get_userbyid(c.relowner) <> %(builder)s
            and (n.nspname = %(schema)s or (n.nspname = %(exp_schema)s and c.relname like 'v\\_%%'))
        union all
        select 'function', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)
        from pg_proc as p join pg_namespace as n on n.oid = p.pronamespace
        where n.nspname = %(schema)s and pg_get_userbyid(p.proowner) <> %(builder)s
        """,
        names.__dict__,
    )
    rows = cur.fetchall()
    for kind, schema, name, arguments in rows:
        target = sql.SQL(".").join([sql.Identifier(schema), sql.Identifier(name)])
        if kind == "function":
            statement = sql.SQL("alter function {}({}) owner to {}").format(
                target, sql.SQL(arguments), sql.Identifier(names.builder)
            )
        else:
            statement = sql.SQL("alter table {} owner to {}").format(
                target, sql.Identifier(names.builder)
            )
        cur.execute(statement)
    return len(rows)


def create_roles(
    settings: ConnectionSettings,
    names: RoleNames | None = None,
    *,
    allow_other_server: bool = False,
    passfile=None,
) -> RoleNames:
    """Create the builder and reader roles and their grants on `settings.dbname` (idempotent).

    `settings` must be a superuser (or a role allowed to create roles and grant on the
    database); `passfile`: where the embedded server's passwords live (default: found from
    the running embedded server that `settings` points at).
    """
    names = names or RoleNames.from_env()
    ensure_project_server(settings, "create roles", allow_other_server=allow_other_server)
    ensure_login_roles(settings, _passwords(settings, names, passfile))
    identifiers = {
        key: sql.Identifier(value)
        for key, value in {**names.__dict__, "database": settings.dbname}.items()
    }
    conn = connect(settings)
    try:
        with conn.cursor() as cur:
            cur.execute(sql.SQL("create schema if not exists {}").format(identifiers["exp_schema"]))
            cur.execute(sql.SQL(grants_template()).format(**identifiers))
            moved = _reassign_to_builder(cur, names)
    finally:
        conn.close()
    if moved:
        _logger.info("%d relations/functions now owned by %s", moved, names.builder)
    _logger.info(
        "roles ready on %s: %s (builds with dbt), %s (reads for Metabase)",
        settings.describe(),
        names.builder,
        names.reader,
    )
    return names


def write_privileges(settings: ConnectionSettings, role: str) -> list[str]:
    """What `role` may change in the database of `settings` (empty: read-only, as it should be
    for Metabase). Asked from any connection: PostgreSQL answers privilege questions about any
    role. An unknown role yields nothing to report."""
    conn = connect(settings)
    try:
        with conn.cursor() as cur:
            cur.execute(
                """
                select
                    r.rolsuper,
                    has_database_privilege(r.rolname, current_database(), 'create'),
                    (
                        select count(*)
                        from pg_class as c
                        join pg_namespace as n on n.oid = c.relnamespace
                        where c.relkind in ('r', 'p')
                            and n.nspname not in ('pg_catalog', 'information_schema')
                            and n.nspname not like 'pg\\_%%'
                            and has_table_privilege(
                                r.rolname, c.oid, 'insert, update, delete, truncate'
                            )
                    ),
                    (
                        select count(*)
                        from pg_namespace as n
                        where n.nspname not in ('pg_catalog', 'information_schema')
                            and n.nspname not like 'pg\\_%%'
                            and has_schema_privilege(r.rolname, n.oid, 'create')
                    )
                from pg_roles as r
                where r.rolname = %s
                """,
                (role,),
            )
            row = cur.fetchone()
    finally:
        conn.close()
    if row is None:
        return []
    superuser, create_schemas, writable_tables, creatable_schemas = row
    found = []
    if superuser:
        found.append("is a superuser")
    if create_schemas:
        found.append("may create schemas")
    if writable_tables:
        found.append(f"may change {writable_tables} tables")
    if creatable_schemas:
        found.append(f"may create objects in {creatable_schemas} schemas")
    return found
