"""Roles by job on the demo warehouse (built like `make demo`: `create_roles`, the demo data, a
complete `dbt build` as the builder role only): what the reader role (Metabase's) may and may
not do, and that nothing of the build needed more than the builder."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import psycopg2
import pytest
from psycopg2 import errors, sql

from experiment_analytics.dbt import run_dbt
from experiment_analytics.warehouse import ConnectionSettings, connect, credentials, roles

from .conftest import DemoWarehouse, node_name, read_run_results, role_settings


@dataclass(frozen=True)
class RolesWarehouse:
    admin: ConnectionSettings
    builder: ConnectionSettings
    reader: ConnectionSettings
    target: Path


@pytest.fixture(scope="module")
def roles_warehouse(demo_warehouse_build: DemoWarehouse, pg_data_dir) -> RolesWarehouse:
    """The shared demo warehouse: `create_roles` ran before the exp tables existed (so their
    default privileges are tested too) and its complete `dbt build` ran as the builder role."""
    admin = demo_warehouse_build.settings
    # Idempotent: a second run changes nothing and fails nothing.
    roles.create_roles(admin, roles.RoleNames(), passfile=credentials.passfile_for(pg_data_dir))
    return RolesWarehouse(
        admin,
        role_settings(admin, pg_data_dir, roles.BUILDER),
        role_settings(admin, pg_data_dir, roles.READER),
        demo_warehouse_build.target_path,
    )


def _relations(settings: ConnectionSettings) -> set[tuple[str, str]]:
    """Every table and view outside the system schemas."""
    conn = connect(settings)
    with conn.cursor() as cur:
        cur.execute(
            """
            select n.nspname, c.relname
            from pg_class as c join pg_namespace as n on n.oid = c.relnamespace
            where c.relkind in ('r', 'v', 'm', 'p', 'f')
                and n.nspname not in ('pg_catalog', 'information_schema')
                and n.nspname not like 'pg\\_%'
            """
        )
        found = set(cur.fetchall())
    conn.close()
    return found


def _read_by_metabase(target: Path) -> set[tuple[str, str]]:
    """The marts (the exp views among them) and every relation a card, Metabase model or alert
    question (the analyses) selects from, from the manifest of the build."""
    manifest = json.loads((target / "manifest.json").read_text())
    nodes = manifest["nodes"]
    wanted = {
        uid for uid, n in nodes.items() if n["resource_type"] == "model" and n["fqn"][1] == "marts"
    }
    for node in nodes.values():
        if node["resource_type"] == "analysis":
            wanted |= set(node["depends_on"]["nodes"])
    relations = set()
    for uid in wanted:
        node = nodes[uid]
        if node["config"]["materialized"] != "ephemeral":
            relations.add((node["schema"], node["alias"]))
    return relations


def test_a_full_dbt_build_runs_as_the_builder(roles_warehouse: RolesWarehouse):
    results = read_run_results(roles_warehouse.target)
    bad = {
        node_name(r["unique_id"]): r["status"]
        for r in results
        if r["status"] not in ("success", "pass", "no-op")
    }
    assert not bad
    conn = connect(roles_warehouse.admin)
    with conn.cursor() as cur:
        cur.execute(
            "select rolsuper, rolcreaterole from pg_roles where rolname = %s", (roles.BUILDER,)
        )
        assert cur.fetchone() == (False, False)
        cur.execute("select nspowner::regrole::text from pg_namespace where nspname = 'analytics'")
        assert cur.fetchone()[0] == roles.BUILDER
        cur.execute(
            "select count(*), count(*) filter (where relowner::regrole::text = %s) "
            "from pg_class "
            "where relnamespace = 'analytics'::regnamespace and relkind in ('r', 'v')",
            (roles.BUILDER,),
        )
        total, owned = cur.fetchone()
    conn.close()
    assert total > 20 and owned == total


def test_the_reader_selects_everything_metabase_reads(roles_warehouse: RolesWarehouse):
    needed = _read_by_metabase(roles_warehouse.target)
    assert ("exp", "v_experiment_metrics") in needed and ("analytics", "stg_exp__events") in needed
    assert len(needed) > 15
    conn = connect(roles_warehouse.reader)
    with conn.cursor() as cur:
        for schema, name in sorted(needed):
            cur.execute(
                sql.SQL("select count(*) from {}.{}").format(
                    sql.Identifier(schema), sql.Identifier(name)
                )
            )
            assert cur.fetchone()[0] >= 0
    conn.close()


def test_the_reader_selects_nothing_else(roles_warehouse: RolesWarehouse):
    allowed = _read_by_metabase(roles_warehouse.target)
    others = _relations(roles_warehouse.admin) - allowed
    assert ("exp", "events") in others and ("analytics", "stg_exp__assignments") in others
    conn = connect(roles_warehouse.reader)
    conn.autocommit = True
    with conn.cursor() as cur:
        for schema, name in sorted(others):
            with pytest.raises(errors.InsufficientPrivilege):
                cur.execute(
                    sql.SQL("select 1 from {}.{} limit 1").format(
                        sql.Identifier(schema), sql.Identifier(name)
                    )
                )
    conn.close()


@pytest.mark.parametrize(
    "statement",
    [
        "insert into analytics.experiments select * from analytics.experiments limit 1",
        "update analytics.variants set variant_name = variant_name",
        "delete from analytics.generations",
        "truncate analytics.experiments",
        "insert into exp.events select * from exp.events limit 1",
        "create table analytics.mine (x int)",
        "create view analytics.mine as select 1 as x",
        "create table exp.mine (x int)",
        "create table public.mine (x int)",
        "create temporary table mine (x int)",
        "create schema mine",
        "drop table analytics.experiments",
        "alter table analytics.experiments add column x int",
    ],
)
def test_the_reader_cannot_write_or_create(roles_warehouse: RolesWarehouse, statement: str):
    conn = connect(roles_warehouse.reader)
    with conn.cursor() as cur, pytest.raises(psycopg2.Error) as raised:
        cur.execute(statement)
    conn.close()
    message = str(raised.value)
    assert "permission denied" in message or "must be owner" in message, message


def test_a_relation_dbt_creates_anew_is_readable_without_a_regrant(
    roles_warehouse: RolesWarehouse,
):
    # experiment_health: a table nothing depends on. dbt replaces a table by a swap that drops
    # the old one with CASCADE, which would drop the views built on it (exp.v_active_experiments
    # on analytics.experiments) from the session's shared demo warehouse, which later tests read.
    def oid() -> int:
        conn = connect(roles_warehouse.admin)
        with conn.cursor() as cur:
            cur.execute("select 'analytics.experiment_health'::regclass::oid")
            value = cur.fetchone()[0]
        conn.close()
        return value

    before = oid()
    run_dbt(
        ["run", "--select", "experiment_health", "--full-refresh"],
        roles_warehouse.builder,
        target_path=roles_warehouse.target / "rerun",
    )
    assert oid() != before, "dbt replaced the table with a new relation"
    conn = connect(roles_warehouse.reader)
    with conn.cursor() as cur:
        cur.execute("select count(*) from analytics.experiment_health")
        assert cur.fetchone()[0] > 0
    conn.close()


def test_the_publisher_warning_knows_who_can_write(roles_warehouse: RolesWarehouse):
    reader = roles_warehouse.reader
    assert roles.write_privileges(reader, roles.READER) == []
    assert "is a superuser" in roles.write_privileges(reader, "postgres")
    builder_rights = roles.write_privileges(reader, roles.BUILDER)
    assert any("may change" in right for right in builder_rights), builder_rights


def test_the_readme_gives_the_grants_roles_create_applies():
    import re

    from experiment_analytics.dbt import PROJECT_DIR

    readme = (PROJECT_DIR / "README.md").read_text()
    (block,) = re.findall(r"```sql\n(.*?)```", readme, flags=re.S)
    assert block == roles.render_setup_sql(roles.RoleNames(), "experiments")
    statements = [line for line in block.splitlines() if line and not line.startswith("--")]
    assert statements[:2] == [
        f"create role {roles.BUILDER} login password '<choose one>';",
        f"create role {roles.READER} login password '<choose another>';",
    ]
    # The rest is exactly what `create_roles` executes (roles.sql).
    template = roles.render_grants_sql(roles.RoleNames(), "experiments")
    assert all(statement in template for statement in statements[2:])
