"""Bulk runs send each migration with its history row in one round trip.

Runs of more than ``snapshot_every_up_to`` migrations take that path for every
migration but the last (which gets a schema snapshot). Whatever goes wrong there,
the statement-by-statement path runs the migration again and reports it exactly:
these tests hold the fast path to the same promises as the precise one.
"""

from __future__ import annotations

import pytest

from tests.integration.migrations.test_migrate import TASKS, applied, tables

BULK = "[project]\nsnapshot_every_up_to = 0\n"
LAST = {"099_last.sql": "create table last_one (id int);\n-- migrate:down\ndrop table last_one;\n"}


def bulk_project(project, migrations):
    root = project(migrations={**migrations, **LAST})
    toml = (root / "pggate.toml").read_text().replace("[project]\n", BULK, 1)
    (root / "pggate.toml").write_text(toml)
    return root


def test_bulk_run_records_every_migration_with_server_timings(cli, project, db):
    root = bulk_project(project, TASKS)
    result = cli("migrate", "--env", "test", "--format", "json", cwd=root)
    assert result.exit_code == 0, result.output
    assert applied(db) == ["001", "002", "099"]
    rows = db.execute(
        "select version, duration_ms, started_at from pggate.schema_migrations order by 1"
    ).fetchall()
    assert all(
        r["duration_ms"] is not None and r["duration_ms"] >= 0 and r["started_at"] for r in rows
    )
    events = db.execute(
        "select details from pggate.events where kind = 'apply' order by id"
    ).fetchall()
    assert [e["details"].get("batched", False) for e in events] == [True, True, False]


def test_failure_in_a_bulk_run_names_the_line_and_keeps_what_came_before(cli, project, db):
    root = bulk_project(
        project,
        {
            **TASKS,
            "003_bad.sql": (
                "create table half (id int);\ninsert into half values (1);\nselect 1 / 0;\n"
                "-- migrate:down\ndrop table half;\n"
            ),
        },
    )
    result = cli("migrate", "--env", "test", cwd=root)
    assert result.exit_code == 1
    assert "migrations/003_bad.sql:3:" in result.stderr and "division by zero" in result.stderr
    assert "half" not in tables(db)
    assert applied(db) == ["001", "002"]


def test_single_transaction_failure_is_located_and_applies_nothing(cli, project, db):
    root = bulk_project(
        project,
        {
            **TASKS,
            "003_bad.sql": (
                "create table half (id int);\n\nalter table nowhere add column x int;\n"
                "-- migrate:down\ndrop table half;\n"
            ),
        },
    )
    result = cli("migrate", "--env", "test", "--single-transaction", cwd=root)
    assert result.exit_code == 1
    assert "migrations/003_bad.sql:3:" in result.stderr
    assert applied(db) == [] and not {"orgs", "tasks", "half"} & tables(db)


def test_single_transaction_bulk_run_applies_everything(cli, project, db):
    root = bulk_project(project, TASKS)
    assert cli("migrate", "--env", "test", "--single-transaction", cwd=root).exit_code == 0
    assert applied(db) == ["001", "002", "099"]


@pytest.mark.parametrize(
    "ending", ["-- trailing comment without newline", "select 1 -- no semicolon"]
)
def test_sections_ending_in_a_comment_or_without_semicolon(cli, project, db, ending):
    root = bulk_project(project, {"001_a.sql": f"create table a (id int);\n{ending}"})
    assert cli("migrate", "--env", "test", cwd=root).exit_code == 0
    assert applied(db) == ["001", "099"]


def test_a_bulk_migration_that_empties_the_history_is_refused(cli, project, db):
    root = bulk_project(
        project, {**TASKS, "003_wipe.sql": "delete from pggate.schema_migrations;\n"}
    )
    result = cli("migrate", "--env", "test", cwd=root)
    assert result.exit_code == 1
    assert "damaged pggate's history table" in result.stderr
    assert applied(db) == ["001", "002"]


def quick(count: int, start: int = 1) -> dict[str, str]:
    return {
        f"{i:03d}_q{i}.sql": f"create table q{i} (id int);\n-- migrate:down\ndrop table q{i};\n"
        for i in range(start, start + count)
    }


def count_round_trips(monkeypatch) -> list[int]:
    """Patch the chunk sender to count how many migrations each round trip carried."""
    from pggate.migrations.runner import Runner

    carried: list[int] = []
    send = Runner._send

    def counted(self, batch):
        carried.append(batch.count("pggate_intact"))
        return send(self, batch)

    monkeypatch.setattr(Runner, "_send", counted)
    return carried


@pytest.mark.parametrize("single", [False, True])
def test_quick_migrations_share_round_trips(cli, project, db, monkeypatch, single):
    carried = count_round_trips(monkeypatch)
    root = bulk_project(project, quick(40))
    extra = ["--single-transaction"] if single else []
    result = cli("migrate", "--env", "test", *extra, cwd=root)
    assert result.exit_code == 0, result.stderr
    assert applied(db) == [f"{i:03d}" for i in range(1, 41)] + ["099"]
    assert sum(carried) == 40 and len(carried) < 10 and max(carried) > 1
    # The progress lines say what went together, so a log never skips a name silently.
    assert "migrating 002_q2 .. 003_q3 (2 migrations in one round trip)" in result.stderr


def test_a_chunk_records_each_migrations_own_time(cli, project, db):
    root = bulk_project(project, quick(20))
    assert cli("migrate", "--env", "test", cwd=root).exit_code == 0
    rows = db.execute(
        "select version, started_at, finished_at, duration_ms from pggate.schema_migrations "
        "where version < '099' order by version"
    ).fetchall()
    # In one query the server's statement_timestamp() is the same for all: a migration sent
    # after another starts when that one's row was written, not when the query arrived.
    for before, after in zip(rows, rows[1:], strict=False):
        assert after["started_at"] >= before["finished_at"], (before, after)
    for row in rows:
        spent = (row["finished_at"] - row["started_at"]).total_seconds() * 1000
        assert row["duration_ms"] <= spent + 1


def test_a_failure_inside_a_chunk_keeps_the_ones_before_and_runs_none_after(cli, project, db):
    bad = {"021_bad.sql": "create table bad (id int);\nselect 1 / 0;\n"}
    root = bulk_project(project, {**quick(20), **bad, **quick(10, start=22)})
    result = cli("migrate", "--env", "test", "--format", "json", cwd=root)
    assert result.exit_code == 1
    assert applied(db) == [f"{i:03d}" for i in range(1, 21)]
    assert not {"bad", "q22", "last_one"} & tables(db)
    assert "migrations/021_bad.sql:2:" in result.stderr + result.output


def test_chunked_migrations_are_not_split_or_parsed_again(cli, project, db, monkeypatch):
    # Validation parsed every file; the runner uses what it found for those very texts.
    from pggate.migrations import executor, runner

    split_again: list[str] = []

    def counting(migration, section="up"):
        split_again.append(migration.version)
        return executor.statements_of(migration, section)

    monkeypatch.setattr(runner, "statements_of", counting)
    root = bulk_project(project, quick(30))
    assert cli("migrate", "--env", "test", cwd=root).exit_code == 0
    assert applied(db)[-1] == "099" and split_again == ["099"]  # the last: a snapshot after it


def test_transaction_control_is_refused_from_validations_facts(cli, project, db):
    sneaky = {"002_sneaky.sql": "create table s (id int);\n-- pggate:ignore LNT007\ncommit;\n"}
    root = bulk_project(project, {**quick(1), **sneaky})
    result = cli("migrate", "--env", "test", cwd=root)
    assert result.exit_code == 2
    assert "migrations/002_sneaky.sql:3: COMMIT" in result.stderr, result.stderr
    assert "nothing was applied" in result.stderr and not {"q1", "s"} & tables(db)


def test_a_lock_timeout_inside_a_chunk_is_retried_alone(cli, project, db, db_url):
    import threading
    import time

    import psycopg

    root = bulk_project(project, {"001_target.sql": "create table target (id int);\n"})
    assert cli("migrate", "--env", "test", "--to", "001", cwd=root).exit_code == 0
    blocked = {"011_alter.sql": "alter table target add column extra int;\n"}
    for name, text in {**quick(9, start=2), **blocked, **quick(4, start=12)}.items():
        (root / "migrations" / name).write_text(text)
    toml = root / "pggate.toml"
    toml.write_text(toml.read_text() + 'lock_timeout = "100ms"\n')

    with psycopg.connect(db_url, autocommit=True) as blocker:
        blocker.execute("begin")
        blocker.execute("lock table target in access share mode")

        def release_after_a_timeout() -> None:
            with psycopg.connect(db_url, autocommit=True) as watcher:
                for _ in range(600):  # pggate waits on the lock: it times out 100 ms later
                    waiting = watcher.execute(
                        "select count(*) from pg_stat_activity "
                        "where application_name = 'pggate' and wait_event_type = 'Lock'"
                    ).fetchone()[0]
                    if waiting:
                        break
                    time.sleep(0.05)
            time.sleep(0.3)
            blocker.execute("rollback")

        releaser = threading.Thread(target=release_after_a_timeout)
        releaser.start()
        result = cli("migrate", "--env", "test", cwd=root)
        releaser.join()
    assert result.exit_code == 0, result.stderr
    assert "011_alter: lock timeout, retry 1" in result.stderr
    assert applied(db) == [f"{i:03d}" for i in range(1, 16)] + ["099"]


def test_copy_from_stdin_is_refused_before_anything_runs(cli, project, db):
    # Sent to the server, it left the connection waiting for data no one sends: pggate
    # reported a lost connection, having applied the files before it.
    copy = {"011_copy.sql": "create table c (id int);\ncopy c from stdin;\n"}
    root = bulk_project(project, {**quick(10), **copy})
    result = cli("migrate", "--env", "test", cwd=root)
    assert result.exit_code == 2, result.stderr
    assert "MIG013" in result.stderr and "migrations/011_copy.sql:2" in result.stderr
    assert not {"q1", "c"} & tables(db)


@pytest.mark.parametrize("bulk", [True, False], ids=["chunked", "one by one"])
def test_session_authorization_does_not_leak_into_the_next_migration(cli, project, db, bulk):
    # RESET ALL leaves SET SESSION AUTHORIZATION alone: without its own reset, every later
    # migration ran as that role, and its objects were owned by it.
    become = {
        "001_become.sql": (
            "do $$ begin create role pggate_test_mallory; "
            "exception when duplicate_object then null; end $$;\n"
            "grant usage, create on schema public, pggate to pggate_test_mallory;\n"
            "grant all on all tables in schema pggate to pggate_test_mallory;\n"
            "grant all on all sequences in schema pggate to pggate_test_mallory;\n"
            "set session authorization pggate_test_mallory;\n"
        ),
        "002_after.sql": "create table after_it (id int);\n",
    }
    root = bulk_project(project, become) if bulk else project(migrations=become)
    result = cli("migrate", "--env", "test", cwd=root)
    assert result.exit_code == 0, result.stderr
    rows = db.execute(
        "select tableowner, current_user as me from pg_tables where tablename = 'after_it'"
    ).fetchall()
    assert [r["tableowner"] for r in rows] == [rows[0]["me"]]
    applied_by = db.execute("select distinct applied_by from pggate.schema_migrations").fetchall()
    assert [r["applied_by"] for r in applied_by] == [rows[0]["me"]]


def test_a_connection_lost_inside_a_chunk_leaves_a_prefix_committed(cli, project, db):
    # The backend dies mid-chunk: what committed before it stays, with its rows; the one in
    # flight is rolled back by the server; nothing after it ran. The message claims no more.
    killed = {
        "006_dies.sql": "create table dies (id int);\nselect pg_terminate_backend(pg_backend_pid());\n"
    }
    root = bulk_project(project, {**quick(5), **killed, **quick(4, start=7)})
    result = cli("migrate", "--env", "test", cwd=root)
    assert result.exit_code == 3, result.stderr
    assert "lost the database connection" in result.stderr
    assert "`pggate status` shows which ones committed" in result.stderr
    assert applied(db) == ["001", "002", "003", "004", "005"]
    assert not {"dies", "q7", "last_one"} & tables(db)
    status = cli("status", "--env", "test", "--format", "json", cwd=root)
    assert [m["version"] for m in status.json()["pending"]][:2] == ["006", "007"]
