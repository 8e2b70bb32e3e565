"""pggate migrate on a real server: atomic, locked, refuses bad input, changes nothing on dry runs."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import psycopg
import pytest

from pggate import api
from pggate.errors import MigrationFailed

TASKS = {
    "001_orgs.sql": """
        create table orgs (id bigint generated always as identity primary key, name text not null);
        -- migrate:down
        drop table orgs;
    """,
    "002_tasks.sql": """
        create table tasks (id bigint primary key, org_id bigint references orgs(id), title text);
        alter table tasks enable row level security;
        -- migrate:down
        drop table tasks;
    """,
}


def tables(db) -> set[str]:
    rows = db.execute("select tablename from pg_tables where schemaname = 'public'").fetchall()
    return {r["tablename"] for r in rows}


def applied(db) -> list[str]:
    return [
        r["version"]
        for r in db.execute("select version from pggate.schema_migrations order by version")
    ]


def test_applies_pending_and_records_history(cli, project, db):
    root = project(migrations=TASKS)
    result = cli("migrate", "--env", "test", "--format", "json", cwd=root)
    assert result.exit_code == 0, result.output
    data = result.json()
    assert [m["version"] for m in data["applied"]] == ["001", "002"]
    assert tables(db) == {"orgs", "tasks"}
    assert applied(db) == ["001", "002"]
    row = db.execute("select * from pggate.schema_migrations where version = '002'").fetchone()
    assert (
        row["checksum"].startswith("sha256:")
        and row["transactional"]
        and row["run_id"] == data["run_id"]
    )
    assert [e["kind"] for e in db.execute("select kind from pggate.events order by id")] == [
        "schema_baseline",
        "apply",
        "apply",
    ]
    again = cli("migrate", "--env", "test", cwd=root)
    assert again.exit_code == 0 and "nothing to apply" in again.stdout


def test_failure_half_way_leaves_nothing_of_the_failed_migration(cli, project, db):
    root = project(
        migrations={
            **TASKS,
            "003_bad.sql": """
        create table half (id int);
        insert into half values (1);
        select 1 / 0;
        -- migrate:down
        drop table half;
    """,
        }
    )
    result = cli("migrate", "--env", "test", cwd=root)
    assert result.exit_code == 1
    assert "migrations/003_bad.sql:4:" in result.stderr
    assert "division by zero" in result.stderr
    assert "half" not in tables(db)
    assert applied(db) == ["001", "002"]
    failure = db.execute("select * from pggate.events where kind = 'failure'").fetchone()
    assert failure["sqlstate"] == "22012" and failure["statement_index"] == 2


def test_server_error_position_maps_to_the_file_line(cli, project):
    root = project(
        migrations={
            "001_typo.sql": "-- first line\ncreate table t (\n  id int,\n  x no_such_type\n);\n"
        }
    )
    result = cli("migrate", "--env", "test", cwd=root)
    assert result.exit_code == 1
    assert "migrations/001_typo.sql:4:5" in result.stderr
    assert 'type "no_such_type" does not exist' in result.stderr


def test_syntax_error_refused_before_touching_the_database(cli, project, db):
    root = project(migrations={**TASKS, "003_syntax.sql": "create tabel x (id int);\n"})
    result = cli("migrate", "--env", "test", cwd=root)
    assert result.exit_code == 2
    assert "migrations/003_syntax.sql:1:8" in result.stderr
    assert "nothing was applied" in result.stderr
    assert tables(db) == set()


def test_duplicate_versions_refused(cli, project, db):
    root = project(migrations={**TASKS, "2_again.sql": "select 1;"})
    result = cli("migrate", "--env", "test", cwd=root)
    assert result.exit_code == 2 and "MIG002" in result.stderr
    assert tables(db) == set()


def test_edited_applied_file_is_drift_and_refused(cli, project, db):
    root = project(migrations=TASKS)
    assert cli("migrate", "--env", "test", cwd=root).exit_code == 0
    path = root / "migrations" / "001_orgs.sql"
    path.write_text(path.read_text().replace("name text", "name varchar"))
    (root / "migrations" / "003_more.sql").write_text("create table more (id int);")
    result = cli("migrate", "--env", "test", cwd=root)
    assert result.exit_code == 2
    assert "edited after it was applied" in result.stderr
    assert "more" not in tables(db)
    validated = cli("validate", "--env", "test", "--format", "json", cwd=root)
    assert validated.exit_code == 2
    errors = [f for f in validated.json()["findings"] if f["severity"] == "error"]
    assert [(f["check"], f["details"]["kind"]) for f in errors] == [("TRC001", "edited")]


def test_applied_version_missing_from_folder_is_reported(cli, project):
    root = project(migrations=TASKS)
    assert cli("migrate", "--env", "test", cwd=root).exit_code == 0
    (root / "migrations" / "002_tasks.sql").unlink()
    status = cli("status", "--env", "test", "--format", "json", cwd=root).json()
    assert [m["check"] for m in status["missing"]] == ["TRC001"]
    assert [a["version"] for a in status["applied"]] == ["001", "002"]


def test_dry_run_changes_nothing(cli, project, db):
    root = project(migrations=TASKS)
    result = cli("migrate", "--env", "test", "--dry-run", "--format", "json", cwd=root)
    assert result.exit_code == 0, result.output
    assert [m["version"] for m in result.json()["applied"]] == ["001", "002"]
    assert tables(db) == set()
    assert db.execute("select to_regclass('pggate.schema_migrations') as t").fetchone()["t"] is None


def test_to_stops_at_a_version_and_single_transaction_is_all_or_nothing(cli, project, db):
    root = project(migrations={**TASKS, "003_bad.sql": "create table c (id int); select 1/0;"})
    assert cli("migrate", "--env", "test", "--to", "001", cwd=root).exit_code == 0
    assert applied(db) == ["001"]
    assert cli("migrate", "--env", "test", "--single-transaction", cwd=root).exit_code == 1
    assert applied(db) == ["001"] and "tasks" not in tables(db)


def test_status_json_shape(cli, project):
    root = project(migrations=TASKS)
    cli("migrate", "--env", "test", "--to", "1", cwd=root)
    data = cli("status", "--env", "test", "--format", "json", cwd=root).json()
    assert set(data) >= {"applied", "pending", "drift", "missing"}
    assert set(data["applied"][0]) >= {
        "version",
        "name",
        "checksum",
        "applied_at",
        "applied_by",
        "duration_ms",
    }
    assert data["pending"] == [
        {"version": "002", "name": "tasks", "file": "migrations/002_tasks.sql"}
    ]


def test_status_lists_the_latest_applied_and_every_pending_unless_all(cli, project):
    many = {
        f"{n:03d}_t{n}.sql": f"create table t{n} (id int);\n-- migrate:down\ndrop table t{n};"
        for n in range(1, 15)
    }
    root = project(migrations=many)
    cli("migrate", "--env", "test", "--to", "12", cwd=root)
    text = cli("status", "--env", "test", cwd=root).stdout
    assert "12 applied, 2 pending" in text and "2 earlier applied not listed" in text
    assert " t1 " not in text and " t2 " not in text
    assert all(f" t{n} " in text for n in range(3, 15))
    everything = cli("status", "--env", "test", "--all", cwd=root).stdout
    assert all(f" t{n} " in everything for n in range(1, 15)) and "not listed" not in everything


def test_no_transaction_file_creates_index_concurrently(cli, project, db):
    root = project(
        migrations={
            **TASKS,
            "003_index.sql": """
        -- pggate:no-transaction
        create index concurrently tasks_org_idx on tasks (org_id);
        -- migrate:down
        drop index concurrently tasks_org_idx;
    """,
        }
    )
    result = cli("migrate", "--env", "test", cwd=root)
    assert result.exit_code == 0, result.output
    assert db.execute("select to_regclass('tasks_org_idx') as i").fetchone()["i"] is not None
    assert applied(db) == ["001", "002", "003"]


def test_concurrently_in_a_transactional_file_is_refused(cli, project):
    root = project(
        migrations={"001_idx.sql": "create table t (x int);\ncreate index concurrently i on t (x);"}
    )
    result = cli("migrate", "--env", "test", cwd=root)
    assert result.exit_code == 2 and "MIG006" in result.stderr


def test_migration_changing_search_path_and_role_does_not_leak(cli, project, db):
    root = project(
        migrations={
            "001_path.sql": "create schema other; set search_path = other; create table inside (x int);",
            "002_next.sql": "create table public_again (x int);",
        }
    )
    assert cli("migrate", "--env", "test", cwd=root).exit_code == 0
    assert "public_again" in tables(db)


def test_confirm_environment_refuses_without_a_terminal(run_pggate, project, db, db_url):
    root = project(migrations=TASKS)
    (root / "pggate.toml").write_text((root / "pggate.toml").read_text() + "confirm = true\n")
    refused = run_pggate("migrate", "--env", "test", cwd=root)
    assert refused.exit_code == 2 and "--yes" in refused.stderr
    assert tables(db) == set()
    assert run_pggate("migrate", "--env", "test", "--yes", cwd=root).exit_code == 0


def test_lock_held_by_another_runner_times_out_with_exit_3(cli, project, db):
    from pggate.db import MIGRATION_LOCK_KEY

    root = project(migrations=TASKS)
    db.execute("set application_name = 'other-runner'")
    db.execute("select pg_advisory_lock(%s)", (MIGRATION_LOCK_KEY,))
    result = cli("migrate", "--env", "test", "--lock-wait", "0.5", cwd=root)
    assert result.exit_code == 3
    assert "other-runner" in result.stderr
    db.execute("select pg_advisory_unlock(%s)", (MIGRATION_LOCK_KEY,))


def test_lock_timeout_retries_then_names_the_blocker(project, db_url, db):
    root = project(migrations={**TASKS, "003_alter.sql": "alter table orgs add column extra int;"})
    api.migrate(root, "test", to="002")
    (root / "pggate.toml").write_text(
        (root / "pggate.toml").read_text() + 'lock_timeout = "100ms"\n'
    )
    with psycopg.connect(db_url) as blocker:
        blocker.execute("set application_name = 'blocking-tx'")
        blocker.execute("lock table orgs in access share mode")
        from pggate.errors import LockTimeout

        with pytest.raises(LockTimeout) as err:
            api.migrate(root, "test")
        assert "blocking-tx" in err.value.message
    assert applied(db) == ["001", "002"]


def test_four_concurrent_runners_apply_each_version_once(run_pggate, project, db):
    migrations = {
        f"{i:03d}_t{i}.sql": f"create table t{i} (id int); select pg_sleep(0.02);"
        for i in range(1, 13)
    }
    root = project(migrations=migrations)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "pggate", "migrate", "--env", "test"],
            cwd=root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    codes = [p.wait(timeout=120) for p in procs]
    assert codes == [0, 0, 0, 0], [p.stderr.read() for p in procs]
    assert applied(db) == [f"{i:03d}" for i in range(1, 13)]
    assert (
        db.execute("select count(*) as n from pggate.events where kind = 'apply'").fetchone()["n"]
        == 12
    )


def test_sigkill_mid_migration_leaves_no_partial_state_and_rerun_completes(project, db, run_pggate):
    root = project(
        migrations={
            "001_a.sql": "create table a (id int);",
            "002_slow.sql": "create table slow (id int); insert into slow values (1); select pg_sleep(30);",
        }
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "pggate", "migrate", "--env", "test"],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        row = db.execute(
            "select count(*) as n from pg_stat_activity where query like '%%pg_sleep(30)%%' "
            "and pid <> pg_backend_pid()"
        ).fetchone()
        if row["n"]:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    for _ in range(100):  # the server notices the dead client and rolls back
        if not db.execute(
            "select count(*) as n from pg_stat_activity where query like '%%pg_sleep(30)%%' "
            "and pid <> pg_backend_pid()"
        ).fetchone()["n"]:
            break
        db.execute(
            "select pg_terminate_backend(pid) from pg_stat_activity where query like '%%pg_sleep(30)%%' "
            "and pid <> pg_backend_pid()"
        )
        time.sleep(0.1)
    assert "slow" not in tables(db)
    assert applied(db) == ["001"]
    (root / "migrations" / "002_slow.sql").write_text("create table slow (id int);")
    # The file changed but was never applied: no drift, the rerun applies it.
    result = run_pggate("migrate", "--env", "test", cwd=root)
    assert result.exit_code == 0, result.output
    assert applied(db) == ["001", "002"]


def test_api_failure_carries_the_applied_part(project):
    root = project(migrations={**TASKS, "003_bad.sql": "select 1/0;"})
    with pytest.raises(MigrationFailed) as err:
        api.migrate(root, "test")
    assert [m["version"] for m in err.value.details["applied"]] == ["001", "002"]
    assert err.value.details["failure"]["line"] == 1
