""" "Proven" means proven: fingerprints see every application object and nothing of pggate's.

Each test judges by what the rollback proof says about a database whose true state the
test built on purpose.
"""

from __future__ import annotations

import psycopg
from psycopg.rows import dict_row

from pggate.schema import fingerprint as fp
from pggate.schema.snapshot import take

PUBLIC_HISTORY = """
[project]
history_table = "public.schema_migrations"
"""


def _with_history_table(root, table: str) -> None:
    toml = (root / "pggate.toml").read_text()
    (root / "pggate.toml").write_text(
        toml.replace("[project]\n", f'[project]\nhistory_table = "{table}"\n', 1)
    )


def test_history_in_public_does_not_hide_public(run_pggate, project, db):
    # Old: the whole of public was left out of every fingerprint, so a down doing nothing
    # was "proven" and drift in public was never seen.
    root = project(
        migrations={
            "001_t.sql": "create table public.t (id int);\n-- migrate:down\n"
            "comment on table public.t is 'forgot to drop';\n"
        }
    )
    _with_history_table(root, "public.schema_migrations")
    assert run_pggate("migrate", "--env", "test", cwd=root).exit_code == 0
    db.execute("create table public.by_hand (id int)")
    status = run_pggate("status", "--env", "test", "--format", "json", cwd=root)
    assert "public.by_hand" in status.stdout
    db.execute("drop table public.by_hand")
    result = run_pggate("rollback", "--env", "test", "--to", "0", "--yes", cwd=root)
    assert result.exit_code == 1, result.output
    assert "table public.t" in result.output
    assert db.execute("select to_regclass('public.t') is not null as t").fetchone()["t"]


def test_baseline_is_recorded_once(run_pggate, project, db):
    # A down outside a transaction leaves a table behind; old: the next migrate from an empty
    # history re-recorded the baseline with the leftover in it, and the next rollback was
    # "proven".
    up = "-- pggate:no-transaction\ncreate table if not exists kept (id int);\n"
    up += "create table gone (id int);\n"
    root = project(migrations={"001_x.sql": f"{up}-- migrate:down\ndrop table gone;\n"})
    assert run_pggate("migrate", "--env", "test", cwd=root).exit_code == 0
    baseline = _baseline(db)
    first = run_pggate("rollback", "--env", "test", "--to", "0", "--yes", cwd=root)
    assert first.exit_code == 1 and _exists(db, "kept"), first.output
    assert run_pggate("migrate", "--env", "test", cwd=root).exit_code == 0
    assert _baseline(db) == baseline
    again = run_pggate("rollback", "--env", "test", "--to", "0", "--yes", cwd=root)
    assert again.exit_code == 1 and "table public.kept" in again.output, again.output
    events = [r["kind"] for r in db.execute("select kind from pggate.events order by id")]
    assert events.count("schema_baseline") == 1


def _baseline(db) -> str:
    row = db.execute("select value from pggate.meta where key = 'baseline_fingerprint'")
    return row.fetchone()["value"]


def _exists(db, table: str) -> bool:
    return db.execute("select to_regclass(%s) is not null as t", (table,)).fetchone()["t"]


def test_two_projects_with_different_history_tables_do_not_see_each_other(
    run_pggate, project, db, tmp_path, db_url
):
    from tests.conftest import write_project

    first = project(
        migrations={"001_a.sql": "create table a (id int);\n-- migrate:down\ndrop table a;\n"}
    )
    second = write_project(
        tmp_path / "second",
        url=db_url,
        migrations={"001_b.sql": "select 1;\n-- migrate:down\nselect 1;\n"},
    )
    _with_history_table(second, "ops.deployments")
    assert run_pggate("migrate", "--env", "test", cwd=first).exit_code == 0
    assert run_pggate("migrate", "--env", "test", cwd=second).exit_code == 0
    assert _exists(db, "ops.deployments") and _exists(db, "ops.events")
    result = run_pggate("rollback", "--env", "test", "--to", "0", "--yes", cwd=first)
    assert result.exit_code == 0, result.output
    assert "proven" in result.output and "NOT PROVEN" not in result.output
    assert not _exists(db, "a")


def test_supabase_migrations_schema_is_not_the_application(db, db_url):
    before = fp.of(take(db))
    db.execute(
        "create schema supabase_migrations; create table supabase_migrations.schema_migrations "
        "(version text primary key, statements text[], name text)"
    )
    assert fp.of(take(db)) == before


def test_fingerprint_does_not_depend_on_the_session_search_path(db, db_url):
    db.execute(
        "create schema extensions; create function extensions.token() returns text "
        "language sql as $$ select 'x' $$; "
        "create table public.invitations (id int, token text default extensions.token()); "
        "create view public.open as select token from public.invitations"
    )
    prints = set()
    for path in ("public", "public, extensions", "extensions, public, pg_catalog"):
        with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as conn:
            conn.execute(f"set search_path = {path}")
            prints.add(fp.of(take(conn)))
            # The pinned path is local to the snapshot's own rolled-back transaction.
            assert conn.execute("show search_path").fetchone()["search_path"] == path
    assert len(prints) == 1


def test_fingerprint_of_an_older_format_is_not_a_mismatch(run_pggate, project, db):
    root = project(
        migrations={
            "001_a.sql": "create table a (id int);\n-- migrate:down\ndrop table a;\n",
            "002_b.sql": "create table b (id int);\n-- migrate:down\ndrop table b;\n",
        }
    )
    assert run_pggate("migrate", "--env", "test", cwd=root).exit_code == 0
    assert (
        fp.format_of(
            db.execute(
                "select fingerprint from pggate.schema_migrations where version = '001'"
            ).fetchone()["fingerprint"]
        )
        == 2
    )
    # What a pggate before versioned snapshots recorded.
    db.execute("update pggate.schema_migrations set fingerprint = 'sha256:' || md5('old')")
    recorded = run_pggate(
        "rollback", "--env", "test", "--to", "001", "--prove", "recorded", "--dry-run", cwd=root
    )
    assert recorded.exit_code == 0, recorded.output
    assert "NOT PROVEN" not in recorded.output and "snapshot format 1" in recorded.output
    auto = run_pggate(
        "rollback", "--env", "test", "--to", "001", "--yes", "--format", "json", cwd=root
    )
    proof = auto.json()["proof"]
    assert (proof["status"], proof["method"]) == ("proven", "shadow"), auto.output
    assert not _exists(db, "b") and _exists(db, "a")
