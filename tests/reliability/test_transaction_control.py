"""Transaction control in SQL that pggate runs inside its own transaction.

A ``COMMIT`` sent inside pggate's transaction ends it, and what follows runs in
autocommit: half a migration committed with no history row, a dry run that applied,
a smoke check that deleted rows for real. Each test judges by the database afterwards.
"""

from __future__ import annotations

import psycopg
import pytest

from pggate import api
from pggate.migrations.files import load_folder


def public_tables(db) -> set[str]:
    rows = db.execute("select tablename from pg_tables where schemaname = 'public'").fetchall()
    return {r["tablename"] for r in rows}


def history_rows(db) -> int:
    if db.execute("select to_regclass('pggate.schema_migrations') as t").fetchone()["t"] is None:
        return 0
    return db.execute("select count(*) as n from pggate.schema_migrations").fetchone()["n"]


CONTROL = ["commit;", "rollback;", "end;", "begin;", "savepoint s1;", "set transaction read only;"]


@pytest.mark.parametrize("control", CONTROL)
def test_migrate_refuses_transaction_control_before_running_anything(cli, project, db, control):
    root = project(
        migrations={
            "001_half.sql": f"create table first_half (id int);\n{control}\n"
            "create table second_half (id int);\n"
        }
    )
    result = cli("migrate", "--env", "test", cwd=root)
    assert result.exit_code == 2, result.output
    assert "001_half.sql:2:" in result.output
    assert public_tables(db) == set()
    assert history_rows(db) == 0


def test_failing_migration_with_commit_leaves_nothing(cli, project, db):
    # Old behaviour: the first table stayed (committed), "the migration was rolled back" was said.
    root = project(
        migrations={
            "001_fails.sql": "create table kept (id int);\ncommit;\nselect 1 / 0;\n",
        }
    )
    result = cli("migrate", "--env", "test", cwd=root)
    assert result.exit_code == 2, result.output
    assert public_tables(db) == set()


def test_dry_run_on_confirm_environment_applies_nothing(cli, project, db):
    root = project(
        migrations={"001_t.sql": "create table t (id int);\ncommit;\n"},
        extra_toml="",
    )
    toml = (root / "pggate.toml").read_text()
    (root / "pggate.toml").write_text(
        toml.replace('env_file = ".env.test"', 'env_file = ".env.test"\nconfirm = true')
    )
    result = cli("migrate", "--env", "test", "--dry-run", cwd=root)
    assert result.exit_code == 2, result.output
    assert "rolled back" not in result.output
    assert public_tables(db) == set()
    assert history_rows(db) == 0


def test_no_transaction_file_may_group_its_own_statements(cli, project, db):
    root = project(
        migrations={
            "001_grouped.sql": "-- pggate:no-transaction\nbegin;\ncreate table g (id int);\n"
            "commit;\n",
        }
    )
    result = cli("migrate", "--env", "test", cwd=root)
    assert result.exit_code == 0, result.output
    assert public_tables(db) == {"g"} and history_rows(db) == 1


def test_runtime_guard_stops_at_the_statement_that_ended_the_transaction(tmp_path, db_url, db):
    # Defence in depth behind the refusal: run the section directly, as a file edited after
    # planning would be.
    from pggate.migrations.executor import TransactionLost, execute_section

    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "001_x.sql").write_text(
        "create table a (id int);\ncommit;\ncreate table b (id int);\n"
    )
    migration = load_folder(folder).migrations[0]
    with psycopg.connect(db_url, autocommit=True) as conn:
        with pytest.raises(TransactionLost) as raised:
            with conn.transaction():
                execute_section(conn, migration)
    assert raised.value.line == 2
    assert public_tables(db) == {"a"}  # b never ran in autocommit


SMOKE_PROJECT = """
[gates.smoke]
path = "checks/smoke"
[gates.perf]
path = "checks/bench"
repeat = 3
warmup = 0
"""


def _checks_project(project, db):
    db.execute("create table public.items (id int primary key)")
    db.execute("insert into public.items select generate_series(1, 50)")
    root = project(migrations={}, extra_toml=SMOKE_PROJECT)
    (root / "checks" / "smoke").mkdir(parents=True)
    (root / "checks" / "bench").mkdir(parents=True)
    return root


def test_smoke_check_with_commit_deletes_nothing(project, db):
    root = _checks_project(project, db)
    (root / "checks/smoke/purge.sql").write_text(
        "-- expect: rows = 0\ndelete from public.items;\ncommit;\n"
    )
    (root / "checks/smoke/after.sql").write_text("-- expect: rows = 50\nselect * from public.items")
    result = api.verify(root, "test", ["smoke"])
    assert db.execute("select count(*) as n from public.items").fetchone()["n"] == 50
    found = {f.check: f for f in result.gates[0].findings}
    assert "SMK003" in found and "checks/smoke/purge.sql:3: COMMIT" in found["SMK003"].message
    assert result.exit_code() == 1


def test_bench_query_with_commit_deletes_nothing(project, db):
    root = _checks_project(project, db)
    (root / "checks/bench/purge.sql").write_text(
        "delete from public.items;\ncommit;\nselect count(*) from public.items\n"
    )
    result = api.verify(root, "test", ["perf"])
    assert db.execute("select count(*) as n from public.items").fetchone()["n"] == 50
    assert [f.check for f in result.gates[0].findings] == ["PRF003"]
    api.bench(root, "test")
    assert db.execute("select count(*) as n from public.items").fetchone()["n"] == 50


def test_stage_with_committing_smoke_check_is_no_go_and_keeps_rows(run_pggate, project, db):
    root = _checks_project(project, db)
    toml = (root / "pggate.toml").read_text()
    (root / "pggate.toml").write_text(
        toml.replace('env_file = ".env.test"', 'env_file = ".env.test"\nconfirm = true')
    )
    (root / "checks/smoke/purge.sql").write_text(
        "-- expect: rows = 0\ndelete from public.items;\ncommit;\n"
    )
    result = run_pggate("stage", "--env", "test", cwd=root)
    assert db.execute("select count(*) as n from public.items").fetchone()["n"] == 50
    assert result.exit_code == 1, result.output


def test_rollback_refuses_a_down_with_commit(cli, project, db):
    # validate (LNT007) refuses it before migrate; a down edited after the apply is caught
    # by the rollback itself.
    root = project(migrations={"001_t.sql": "create table t (id int);\n-- migrate:down\n"})
    assert cli("migrate", "--env", "test", cwd=root).exit_code == 0
    (root / "migrations" / "001_t.sql").write_text(
        "create table t (id int);\n-- migrate:down\ndrop table t;\ncommit;\n"
        "create table leftover (id int);\n"
    )
    result = cli("rollback", "--env", "test", "--to", "0", "--yes", cwd=root)
    assert result.exit_code == 2, result.output
    assert "001_t.sql:4: COMMIT" in result.output
    assert public_tables(db) == {"t"} and history_rows(db) == 1


def test_runner_refuses_even_without_validate(tmp_path, db_url, db):
    # A file edited after `validate` ran: the runner classifies what it is about to send.
    from pggate.db import connect
    from pggate.errors import MigrationFileError
    from pggate.migrations.history import History
    from pggate.migrations.runner import Runner

    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "001_x.sql").write_text("create table a (id int);\ncommit;\n")
    migrations = load_folder(folder).migrations
    with connect(db_url) as conn:
        runner = Runner(
            conn,
            History(conn, "pggate.schema_migrations"),
            env="test",
            target="test",
            lock_timeout=None,
            statement_timeout=None,
        )
        with pytest.raises(MigrationFileError, match="001_x.sql:2: COMMIT"):
            runner.migrate(migrations)
    assert public_tables(db) == set() and history_rows(db) == 0
