"""``migrate --plan`` shows the statements and touches nothing; ``--dry-run`` says what it does."""

from __future__ import annotations

import psycopg

from pggate.db import MIGRATION_LOCK_KEY

FILES = {
    "001_orgs.sql": "create table orgs (id int primary key);\n\n"
    "alter table orgs add column name text;\n-- migrate:down\ndrop table orgs;\n",
    "002_busy.sql": "alter table busy add column note text;\n",
}


def test_plan_lists_statements_and_sends_nothing(cli, project, db, db_url):
    db.execute("create table busy (id int)")
    root = project(migrations=FILES)
    with psycopg.connect(db_url) as holder:  # a real migrate or dry run would block on both
        holder.execute("lock table busy in access exclusive mode")
        holder.execute("select pg_advisory_lock(%s)", (MIGRATION_LOCK_KEY,))
        result = cli("migrate", "--env", "test", "--plan", cwd=root)
        data = cli("migrate", "--env", "test", "--plan", "--format", "json", cwd=root).json()
    assert result.exit_code == 0, result.output
    assert "create table orgs (id int primary key);" in result.output
    assert "-- line 3" in result.output and "nothing was sent" in result.output
    assert [len(f["statements"]) for f in data["files"]] == [2, 1]
    assert data["files"][0]["statements"][1] == {
        "line": 3,
        "sql": "alter table orgs add column name text",
    }
    assert db.execute("select to_regnamespace('pggate') as s").fetchone()["s"] is None
    assert db.execute("select to_regclass('orgs') as t").fetchone()["t"] is None


def test_plan_after_migrate_shows_only_pending(cli, project, db):
    db.execute("create table busy (id int)")
    root = project(migrations={"001_orgs.sql": FILES["001_orgs.sql"]})
    assert cli("migrate", "--env", "test", cwd=root).exit_code == 0
    (root / "migrations" / "002_busy.sql").write_text(FILES["002_busy.sql"])
    data = cli("migrate", "--env", "test", "--plan", "--format", "json", cwd=root).json()
    assert [f["version"] for f in data["files"]] == ["002"]
    assert "note" not in {
        r["column_name"]
        for r in db.execute(
            "select column_name from information_schema.columns where table_name = 'busy'"
        )
    }


def test_dry_run_says_it_executes_and_locks(cli, project, db):
    root = project(migrations={"001_orgs.sql": FILES["001_orgs.sql"]})
    help_text = cli("migrate", "--help").output
    assert "real locks" in " ".join(help_text.split())
    result = cli("migrate", "--env", "test", "--dry-run", cwd=root)
    assert result.exit_code == 0, result.output
    assert "held its locks" in " ".join(result.output.split())
    assert db.execute("select to_regclass('orgs') as t").fetchone()["t"] is None
