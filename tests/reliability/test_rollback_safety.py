"""Rollback never drops data it did not ask about, and never reports what did not happen.

Every test judges by the database afterwards: rows still there, history rows intact,
the dump restorable with the server's own tools.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import time
import uuid

import psycopg
import pytest
from psycopg import sql

from pggate.db import MIGRATION_LOCK_KEY, with_database
from pggate.migrations.files import checksum
from tests.reliability.helpers import pggate_process

SEEDED_UP = """
create schema app;
create type app.mood as enum ('ok', 'bad');
create table app.notes (id int primary key, mood app.mood, body text);
insert into app.notes select g, 'ok', 'n' || g from generate_series(1, 100) g;
create view app.recent as select * from app.notes where id > 90;
"""


def note_rows(db) -> int | None:
    if db.execute("select to_regclass('app.notes') as t").fetchone()["t"] is None:
        return None
    return db.execute("select count(*) as n from app.notes").fetchone()["n"]


def history(db) -> list[str]:
    rows = db.execute("select version from pggate.schema_migrations order by version")
    return [r["version"] for r in rows]


RISKY_DOWNS = {
    "drop schema cascade": "drop schema app cascade;",
    "truncate": "truncate app.notes;\ndrop view app.recent;",
    "drop type cascade": "drop type app.mood cascade;",
    "delete": "delete from app.notes;",
    "drop view cascade": "drop view app.recent cascade;",
    "do block": "do $$ begin execute 'drop table app.notes cascade'; end $$;",
    "dynamic sql via a function": "select pg_catalog.set_config('x.y', 'z', false);",
}


@pytest.mark.parametrize("down", RISKY_DOWNS.values(), ids=RISKY_DOWNS.keys())
def test_risky_down_without_yes_is_refused_and_keeps_the_rows(run_pggate, project, db, down):
    root = project(migrations={"001_notes.sql": f"{SEEDED_UP}\n-- migrate:down\n{down}\n"})
    assert run_pggate("migrate", "--env", "test", cwd=root).exit_code == 0
    result = run_pggate("rollback", "--env", "test", "--to", "0", cwd=root)
    assert result.exit_code == 2, result.output
    assert "001_notes.sql:" in result.output  # the statement is listed with its line
    assert note_rows(db) == 100
    assert history(db) == ["001"]


def test_down_of_objects_without_data_runs_unasked(run_pggate, project, db):
    up = "create index notes_body on app.notes (body);\ncreate view app.v as select 1 as one;"
    down = "drop view app.v;\ndrop index app.notes_body;"
    root = project(
        migrations={
            "001_notes.sql": f"{SEEDED_UP}\n-- migrate:down\ndrop schema app cascade;\n",
            "002_index.sql": f"{up}\n-- migrate:down\n{down}\n",
        }
    )
    assert run_pggate("migrate", "--env", "test", cwd=root).exit_code == 0
    result = run_pggate("rollback", "--env", "test", "--to", "001", cwd=root)
    assert result.exit_code == 0, result.output
    assert history(db) == ["001"] and note_rows(db) == 100


def test_a_version_committed_while_waiting_for_the_lock_is_asked_about(
    project, db, db_url, tmp_path
):
    # Old order: plan and confirm, then the lock. A migrate committing in between added a
    # version the rollback then reverted without asking: a 1000-row table dropped.
    big_up = "create table public.big (id int primary key);"
    big_file = f"{big_up}\n-- migrate:down\ndrop table public.big;\n"
    root = project(
        migrations={
            "001_view.sql": "create view v as select 1 as one;\n-- migrate:down\ndrop view v;\n"
        }
    )
    from pggate import api

    api.migrate(root, "test")
    (root / "migrations" / "002_big.sql").write_text(big_file)
    with psycopg.connect(db_url, autocommit=True) as holder:
        holder.execute("select pg_advisory_lock(%s)", (MIGRATION_LOCK_KEY,))
        rollback = pggate_process("rollback", "--env", "test", "--to", "0", cwd=root)
        _wait_until_polling_the_lock(db, rollback)
        # The "migrate" holding the lock commits version 002 with its history row.
        holder.execute(big_up)
        holder.execute("insert into public.big select generate_series(1, 1000)")
        holder.execute(
            "insert into pggate.schema_migrations (version, name, checksum, started_at) "
            "values ('002', 'big', %s, now())",
            (checksum(big_up + "\n"),),
        )
        holder.execute("select pg_advisory_unlock(%s)", (MIGRATION_LOCK_KEY,))
        out, err = rollback.communicate(timeout=60)
    assert rollback.returncode == 2, out + err
    assert "public.big" in out + err or "002_big.sql" in out + err
    assert db.execute("select count(*) as n from public.big").fetchone()["n"] == 1000
    assert history(db) == ["001", "002"]


def _wait_until_polling_the_lock(db, process, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = db.execute(
            "select 1 from pg_stat_activity where application_name like 'pggate%%' "
            "and query like '%%pg_try_advisory_lock%%'"
        ).fetchall()
        if rows:
            return
        assert process.poll() is None, process.communicate()
        time.sleep(0.02)
    raise AssertionError("rollback never polled the migration lock")


@pytest.mark.parametrize("flags", [(), ("--dry-run",)])
def test_to_must_be_a_known_version(run_pggate, project, db, flags):
    root = project(
        migrations={
            "20240101000001_a.sql": "create table a (id int);\n-- migrate:down\ndrop table a;\n",
            "20240101000002_b.sql": "create table b (id int);\n-- migrate:down\ndrop table b;\n",
        }
    )
    assert run_pggate("migrate", "--env", "test", cwd=root).exit_code == 0
    result = run_pggate(
        "rollback", "--env", "test", "--to", "2024010100", "--yes", *flags, cwd=root
    )
    assert result.exit_code == 2, result.output
    assert "20240101000001" in result.output and "proven" not in result.output.lower()
    assert history(db) == ["20240101000001", "20240101000002"]
    assert db.execute(
        "select to_regclass('a') is not null as a, to_regclass('b') is not null as b"
    ).fetchone() == {"a": True, "b": True}


def test_failed_proof_of_transactional_downs_undoes_everything(run_pggate, project, db):
    up = "create table keep (id int);\ninsert into keep values (1), (2);\n"
    up += "create domain positive as int check (value > 0);\n"
    root = project(
        migrations={
            "001_base.sql": "create table base (id int);\n-- migrate:down\ndrop table base;\n",
            "002_forgetful.sql": f"{up}-- migrate:down\ndrop table keep;\n",
        }
    )
    assert run_pggate("migrate", "--env", "test", cwd=root).exit_code == 0
    result = run_pggate("rollback", "--env", "test", "--to", "001", "--yes", cwd=root)
    assert result.exit_code == 1, result.output
    assert "domain public.positive" in result.output
    assert "as it was before" in " ".join(result.output.split())
    assert db.execute("select count(*) as n from keep").fetchone()["n"] == 2
    assert history(db) == ["001", "002"]
    events = db.execute("select kind from pggate.events order by id").fetchall()
    assert [e["kind"] for e in events][-1] == "failure"


def test_failed_proof_outside_a_transaction_says_what_is_left_and_how_to_clean(
    run_pggate, project, db
):
    up = "-- pggate:no-transaction\ncreate table extra (id int);\n"
    up += "create index concurrently extra_id on extra (id);\n"
    root = project(
        migrations={"001_c.sql": f"{up}-- migrate:down\ndrop index concurrently extra_id;\n"}
    )
    assert run_pggate("migrate", "--env", "test", cwd=root).exit_code == 0
    result = run_pggate("rollback", "--env", "test", "--to", "0", "--format", "json", cwd=root)
    assert result.exit_code == 1, result.output
    left = result.json()["proof"]["left"]
    assert left["cleanup_sql"] == ["drop table if exists public.extra;"]
    assert db.execute("select to_regclass('extra') is not null as t").fetchone()["t"]
    db.execute(left["cleanup_sql"][0])
    again = run_pggate("schema", "--env", "test", "--format", "json", cwd=root).json()
    baseline = db.execute(
        "select value from pggate.meta where key = 'baseline_fingerprint'"
    ).fetchone()["value"]
    assert again["fingerprint"] == baseline


def test_backup_restores_with_the_servers_own_tools(
    run_pggate, project, db, pg_server, server_version
):
    root = project(
        migrations={"001_notes.sql": f"{SEEDED_UP}\n-- migrate:down\ndrop schema app cascade;\n"}
    )
    assert run_pggate("migrate", "--env", "test", cwd=root).exit_code == 0
    result = run_pggate(
        "rollback", "--env", "test", "--to", "0", "--yes", "--backup", "--format", "json", cwd=root
    )
    assert result.exit_code == 0, result.output
    assert note_rows(db) is None
    restore = result.json()["restore"]
    tool = shlex.split(restore)[0]
    version = subprocess.run([tool, "--version"], capture_output=True, text=True).stdout
    assert re.search(rf"\b{server_version // 10000}\.", version), version
    name = f"pggate_restore_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_server, autocommit=True) as admin:
        admin.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    try:
        target = with_database(pg_server, name)
        command = shlex.split(restore.replace("<DATABASE_URL>", shlex.quote(target)))
        done = subprocess.run(command, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        with psycopg.connect(target) as restored:
            assert restored.execute("select count(*) from app.notes").fetchone()[0] == 100
    finally:
        with psycopg.connect(pg_server, autocommit=True) as admin:
            admin.execute(sql.SQL("drop database {} with (force)").format(sql.Identifier(name)))


def test_without_tools_of_the_servers_major_the_backup_is_plain_sql_that_restores(
    project, db, db_url, monkeypatch
):
    from pggate import api
    from pggate.migrations import rollback as rollback_module

    monkeypatch.setattr(rollback_module, "matching_tools", lambda major: None)
    root = project(
        migrations={"001_notes.sql": f"{SEEDED_UP}\n-- migrate:down\ndrop schema app cascade;\n"}
    )
    api.migrate(root, "test")
    result = api.rollback(root, "test", to="0", backup=True, confirm=lambda _q: True)
    assert result.backup.endswith(".sql") and note_rows(db) is None
    assert result.restore.startswith("psql ")
    # The restore command works on the database it was taken from (drops, then recreates).
    command = shlex.split(result.restore.replace("<DATABASE_URL>", shlex.quote(db_url)))
    done = subprocess.run([*command, "--quiet"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert note_rows(db) == 100 and history(db) == ["001"]


def test_a_down_that_does_not_parse_is_refused_before_anything(run_pggate, project, db):
    good = f"{SEEDED_UP}\n-- migrate:down\ndrop schema app cascade;\n"
    root = project(migrations={"001_notes.sql": good})
    assert run_pggate("migrate", "--env", "test", cwd=root).exit_code == 0
    # The down edited after the migrate (the up, and so the checksum, unchanged).
    (root / "migrations" / "001_notes.sql").write_text(good.replace("drop schema", "drop shema"))
    result = run_pggate("rollback", "--env", "test", "--to", "0", "--yes", cwd=root)
    assert result.exit_code == 2, result.output
    assert "does not parse" in result.output
    assert note_rows(db) == 100 and history(db) == ["001"]


def test_dry_run_says_nothing_changed_and_changes_nothing(run_pggate, project, db):
    root = project(
        migrations={"001_notes.sql": f"{SEEDED_UP}\n-- migrate:down\ndrop schema app cascade;\n"}
    )
    assert run_pggate("migrate", "--env", "test", cwd=root).exit_code == 0
    events = db.execute("select count(*) as n from pggate.events").fetchone()["n"]
    result = run_pggate("rollback", "--env", "test", "--to", "0", "--dry-run", cwd=root)
    assert result.exit_code == 0, result.output
    assert "would revert 001_notes" in result.output and "nothing changed" in result.output
    assert note_rows(db) == 100 and history(db) == ["001"]
    assert db.execute("select count(*) as n from pggate.events").fetchone()["n"] == events
