"""Rollback to every version restores the schema recorded there, by fingerprint and by pg_dump."""

from __future__ import annotations

import difflib
import re
import subprocess

import psycopg
import pytest
from psycopg.rows import dict_row

from pggate import api
from pggate.embedded import wheel_engine
from pggate.schema import fingerprint as fp
from pggate.schema.snapshot import take

CORPUS = {
    "001_types.sql": """
        create type status as enum ('todo', 'doing', 'done');
        create domain positive_int as integer check (value > 0);
        -- migrate:down
        drop domain positive_int;
        drop type status;
    """,
    "002_tables.sql": """
        create table orgs (id bigint generated always as identity primary key, name text not null);
        create table tasks (
            id bigint generated always as identity primary key,
            org_id bigint not null references orgs (id) on delete cascade,
            state status not null default 'todo',
            points positive_int,
            created_at timestamptz not null default now()
        );
        comment on table tasks is 'work items';
        alter table tasks enable row level security;
        create policy tasks_org on tasks using (org_id = current_setting('app.org', true)::bigint);
        -- migrate:down
        drop table tasks;
        drop table orgs;
    """,
    "003_partitions.sql": """
        create table events (id bigint, at date not null) partition by range (at);
        create table events_2024 partition of events for values from ('2024-01-01') to ('2025-01-01');
        -- migrate:down
        drop table events;
    """,
    "004_views_functions.sql": """
        create materialized view task_counts as select org_id, count(*) as n from tasks group by org_id;
        create function bump() returns trigger language plpgsql as $$
        begin new.created_at := now(); return new; end $$;
        create trigger tasks_bump before update on tasks for each row execute function bump();
        create function admin_count() returns bigint language sql security definer
            set search_path = '' as $$ select count(*) from public.tasks $$;
        revoke all on function admin_count() from public;
        grant select on tasks to public;
        -- migrate:down
        revoke select on tasks from public;
        drop function admin_count();
        drop trigger tasks_bump on tasks;
        drop function bump();
        drop materialized view task_counts;
    """,
    "005_index.sql": """
        -- pggate:no-transaction
        create index concurrently tasks_state_idx on tasks (state);
        -- migrate:down
        drop index concurrently tasks_state_idx;
    """,
    "006_alter.sql": """
        alter table tasks add column title text not null default '';
        alter type status add value 'archived';
        -- migrate:down
        alter table tasks drop column title;
    """,
}
VERSIONS = ["001", "002", "003", "004", "005", "006"]


def pg_dump_schema(url: str) -> str:
    out = subprocess.run(
        [
            str(wheel_engine().tool("pg_dump")),
            "--schema-only",
            "--no-owner",
            "--exclude-schema=pggate",
            url,
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    out = re.sub(r"^\\(un)?restrict .*$", "", out, flags=re.M)  # random per-dump tokens (PG 17.6+)
    # Some servers (this CI machine's PostgreSQL 15) stamp a per-creation pg_attver column option.
    return re.sub(r"^ALTER TABLE ONLY .* SET \(pg_attver=\d+\);$", "", out, flags=re.M)


def fingerprint(url: str) -> str:
    with psycopg.connect(url, row_factory=dict_row) as conn:
        return fp.of(take(conn, exclude_schemas=["pggate"]))


def test_rollback_to_every_version_matches_a_fresh_migrate(project, db_url, pg_server, tmp_path):
    from tests.conftest import write_project

    root = project(migrations=CORPUS)
    # Enum values cannot be removed: 006's down cannot restore the enum exactly, so the corpus
    # stops the round trip at 005 and checks 006 separately below.
    reference = {}
    for index, version in enumerate(["0", *VERSIONS[:5]]):
        other_db = f"ref_{index}"
        with psycopg.connect(pg_server, autocommit=True) as admin:
            admin.execute(f'drop database if exists "{other_db}"')
            admin.execute(f'create database "{other_db}"')
        from pggate.db import with_database

        url = with_database(pg_server, other_db)
        ref_root = write_project(
            tmp_path / f"ref{index}", url=url, migrations={k: v for k, v in CORPUS.items()}
        )
        if version != "0":
            api.migrate(ref_root, "test", to=version)
        reference[version] = (fingerprint(url), pg_dump_schema(url))
    api.migrate(root, "test", to="005")
    for version in ["004", "003", "002", "001", "0"]:
        result = api.rollback(root, "test", to=version, confirm=lambda q: True)
        assert result.proof["status"] == "proven", result.proof
        assert fingerprint(db_url) == reference[version][0]
        dumped = pg_dump_schema(db_url)
        assert dumped == reference[version][1], "\n".join(
            difflib.unified_diff(
                reference[version][1].splitlines(), dumped.splitlines(), lineterm=""
            )
        )
        api.migrate(root, "test", to="005") if version == "0" else None
        if version == "0":
            api.rollback(root, "test", to="0", confirm=lambda q: True)


def test_incomplete_down_is_caught_and_named(cli, project):
    root = project(
        migrations={
            "001_base.sql": "create table t (id int);\n-- migrate:down\ndrop table t;",
            "002_domain.sql": "create domain positive_int as int check (value > 0);\n"
            "alter table t add column p positive_int;\n"
            "-- migrate:down\nalter table t drop column p;",
        }
    )
    assert cli("migrate", "--env", "test", cwd=root).exit_code == 0
    result = cli("rollback", "--env", "test", "--to", "1", "--yes", "--format", "json", cwd=root)
    assert result.exit_code == 1, result.output
    proof = result.json()["proof"]
    assert proof["status"] == "mismatch"
    assert "+ domain public.positive_int" in proof["diff"]
    assert "+ constraint public.positive_int.positive_int_check" in proof["diff"]


def test_missing_down_refuses_before_changing_anything(cli, project, db):
    root = project(
        migrations={
            "001_a.sql": "create table a (id int);",
            "002_b.sql": "create table b (id int);\n-- migrate:down\ndrop table b;",
            "003_c.sql": "create table c (id int);",
        }
    )
    assert cli("migrate", "--env", "test", cwd=root).exit_code == 0
    result = cli("rollback", "--env", "test", "--to", "0", "--yes", cwd=root)
    assert result.exit_code == 2
    assert (
        "003_c.sql: no down section" in result.stderr
        and "001_a.sql: no down section" in result.stderr
    )
    rows = db.execute("select version from pggate.schema_migrations order by 1").fetchall()
    assert [r["version"] for r in rows] == ["001", "002", "003"]


def test_data_dropping_down_needs_confirmation(run_pggate, project, db):
    root = project(
        migrations={"001_a.sql": "create table a (id int);\n-- migrate:down\ndrop table a;"}
    )
    assert run_pggate("migrate", "--env", "test", cwd=root).exit_code == 0
    refused = run_pggate("rollback", "--env", "test", "--to", "0", cwd=root)
    assert refused.exit_code == 2 and "--yes" in refused.stderr
    assert db.execute("select to_regclass('a') as t").fetchone()["t"] is not None


def test_dry_run_rollback_changes_nothing(cli, project, db):
    root = project(
        migrations={"001_a.sql": "create table a (id int);\n-- migrate:down\ndrop table a;"}
    )
    assert cli("migrate", "--env", "test", cwd=root).exit_code == 0
    result = cli(
        "rollback", "--env", "test", "--to", "0", "--dry-run", "--format", "json", cwd=root
    )
    assert result.exit_code == 0 and result.json()["proof"]["status"] == "proven"
    assert db.execute("select to_regclass('a') as t").fetchone()["t"] is not None


def test_backup_is_written_before_rolling_back(cli, project):
    root = project(
        migrations={"001_a.sql": "create table a (id int);\n-- migrate:down\ndrop table a;"}
    )
    assert cli("migrate", "--env", "test", cwd=root).exit_code == 0
    result = cli(
        "rollback", "--env", "test", "--to", "0", "--yes", "--backup", "--format", "json", cwd=root
    )
    assert result.exit_code == 0, result.output
    backup = result.json()["backup"]
    assert backup and (root / "evidence" / "backups").is_dir()


def test_diff_between_two_snapshot_files(cli, project, tmp_path):
    root = project(
        migrations={"001_a.sql": "create table a (id int);\n-- migrate:down\ndrop table a;"}
    )
    before = cli("schema", "--env", "test", "--format", "json", cwd=root).stdout
    cli("migrate", "--env", "test", cwd=root)
    after = cli("schema", "--env", "test", "--format", "json", cwd=root).stdout
    (tmp_path / "a.json").write_text(before)
    (tmp_path / "b.json").write_text(after)
    result = cli(
        "diff", str(tmp_path / "a.json"), str(tmp_path / "b.json"), "--format", "json", cwd=root
    )
    assert result.exit_code == 1
    assert "+ table public.a" in result.json()["diff"]


@pytest.mark.parametrize("count", [3])
def test_bulk_runs_record_only_the_last_fingerprint(project, db, count):
    root = project(
        migrations={
            f"{i:03d}_t{i}.sql": f"create table t{i} (id int);\n-- migrate:down\ndrop table t{i};"
            for i in range(1, count + 1)
        },
        extra_toml="",
    )
    toml = (
        (root / "pggate.toml")
        .read_text()
        .replace("[project]\n", "[project]\nsnapshot_every_up_to = 2\n")
    )
    (root / "pggate.toml").write_text(toml)
    api.migrate(root, "test")
    rows = db.execute(
        "select version, fingerprint is not null as has from pggate.schema_migrations order by 1"
    )
    assert [(r["version"], r["has"]) for r in rows] == [
        ("001", False),
        ("002", False),
        ("003", True),
    ]


def test_manual_change_is_reported_as_schema_drift(cli, project, db):
    root = project(
        migrations={"001_a.sql": "create table a (id int);\n-- migrate:down\ndrop table a;"}
    )
    assert cli("migrate", "--env", "test", cwd=root).exit_code == 0
    assert cli("status", "--env", "test", "--format", "json", cwd=root).json()["schema_drift"] == []
    db.execute("create index a_id_idx on a (id)")
    drift = cli("status", "--env", "test", "--format", "json", cwd=root).json()["schema_drift"]
    assert drift and "+ index public.a_id_idx" in drift[0]["details"]["diff"]
    validated = cli("validate", "--env", "test", "--format", "json", cwd=root).json()
    assert "TRC002" in [f["check"] for f in validated["findings"]]


_NOTES_WITH_RLS = {
    "001_notes.sql": "create table public.notes (id int primary key, tenant_id int);\n"
    "create index on public.notes (tenant_id);\n"
    "-- migrate:down\ndrop table public.notes;\n",
    "002_rls.sql": "alter table public.notes enable row level security;\n"
    "alter table public.notes force row level security;\n"
    "create policy notes_tenant on public.notes using "
    "(tenant_id = (select current_setting('app.tenant')::int));\n"
    "-- migrate:down\ndrop policy notes_tenant on public.notes;\n"
    "alter table public.notes no force row level security;\n"
    "alter table public.notes disable row level security;\n",
}


def test_a_plain_postgresql_project_rolls_back_without_rls_findings(cli, project):
    # No API role reaches a schema here, so nothing is exposed and a table without RLS is
    # the app's own business: the rollback is healthy and exits 0.
    root = project(migrations=_NOTES_WITH_RLS)
    assert cli("migrate", "--env", "test", cwd=root).exit_code == 0
    result = cli("rollback", "--env", "test", "--to", "1", "--yes", "--format", "json", cwd=root)
    assert result.exit_code == 0, result.output
    health = {g["gate"]: g for g in result.json()["health"]}
    assert health["rls"]["status"] == "pass" and health["rls"]["findings"] == []


def test_health_gates_run_after_a_rollback_and_fail_it_when_unsafe(cli, project):
    root = project(
        extra_toml='[tenancy]\nexposed_schemas = ["public"]\n',
        migrations=_NOTES_WITH_RLS,
    )
    assert cli("migrate", "--env", "test", cwd=root).exit_code == 0
    result = cli("rollback", "--env", "test", "--to", "1", "--yes", "--format", "json", cwd=root)
    assert result.exit_code == 1, result.output
    health = {g["gate"]: g for g in result.json()["health"]}
    assert set(health) == {"rls", "views", "functions", "traceability"}
    assert ("RLS001", "public.notes") in {
        (f["check"], f["object"]) for f in health["rls"]["findings"]
    }
    assert health["traceability"]["status"] == "pass"
    result = cli("rollback", "--env", "test", "--to", "0", "--yes", cwd=root)
    assert result.exit_code == 0, result.output
    assert "health after rollback" in result.stdout


def _bulk_project(project, downs):
    root = project(
        migrations={
            f"{i:03d}_t{i}.sql": f"create table t{i} (id int);\n-- migrate:down\n{downs(i)}"
            for i in (1, 2, 3)
        },
        extra_toml="[tenancy]\nexposed_schemas = []\n",
    )  # internal tables: the health gates have nothing to say
    toml = (
        (root / "pggate.toml")
        .read_text()
        .replace("[project]\n", "[project]\nsnapshot_every_up_to = 1\n")
    )
    (root / "pggate.toml").write_text(toml)
    return root


def test_a_version_without_a_fingerprint_is_proven_by_a_shadow_replay(cli, project, db):
    root = _bulk_project(project, lambda i: f"drop table t{i};")
    assert cli("migrate", "--env", "test", cwd=root).exit_code == 0  # bulk: only 003 recorded
    result = cli("rollback", "--env", "test", "--to", "1", "--yes", "--format", "json", cwd=root)
    assert result.exit_code == 0, result.output
    proof = result.json()["proof"]
    assert proof["status"] == "proven" and proof["method"] == "shadow"
    assert not db.execute(
        "select 1 from pg_database where datname like 'pggate_shadow_%'"
    ).fetchall()
    recorded = cli(
        "rollback",
        "--env",
        "test",
        "--to",
        "0",
        "--yes",
        "--prove",
        "recorded",
        "--format",
        "json",
        cwd=root,
    )
    assert recorded.json()["proof"]["status"] in ("proven", "unavailable")


def test_a_shadow_replay_catches_an_incomplete_down(cli, project):
    root = _bulk_project(project, lambda i: "select 1;" if i == 2 else f"drop table t{i};")
    assert cli("migrate", "--env", "test", cwd=root).exit_code == 0
    result = cli("rollback", "--env", "test", "--to", "1", "--yes", "--format", "json", cwd=root)
    assert result.exit_code == 1
    proof = result.json()["proof"]
    assert proof["method"] == "shadow" and "+ table public.t2" in proof["diff"]


def test_a_down_that_changes_the_session_user_does_not_leak_into_the_next(cli, project, db):
    # RESET ALL leaves SET SESSION AUTHORIZATION alone: 002's down would have made 001's run
    # as a role that does not own the table ("must be owner of table t").
    root = project(
        migrations={
            "001_base.sql": "create table t (id int);\n-- migrate:down\ndrop table t;",
            "002_role.sql": (
                "do $$ begin create role pggate_test_mallory; "
                "exception when duplicate_object then null; end $$;\n"
                "grant usage on schema pggate to pggate_test_mallory;\n"
                "grant all on all tables in schema pggate to pggate_test_mallory;\n"
                "-- migrate:down\nset session authorization pggate_test_mallory;\n"
            ),
        }
    )
    assert cli("migrate", "--env", "test", cwd=root).exit_code == 0
    result = cli("rollback", "--env", "test", "--to", "0", "--yes", cwd=root)
    assert result.exit_code == 0, result.stderr
    assert db.execute("select to_regclass('public.t') as t").fetchone()["t"] is None
