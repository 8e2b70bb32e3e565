"""Ctrl-C (a real SIGINT): each command says what it left, exits 130, the database agrees."""

import json
import signal
import time

import psycopg

from pggate.db import MIGRATION_LOCK_KEY
from tests.reliability.helpers import pggate_process

SLOW = {
    "001_fast.sql": "create table a (id int);",
    "002_slow.sql": "create table b (id int);\nselect pg_sleep(60);",
    "003_later.sql": "create table c (id int);",
}


def _default_sigint() -> None:
    # A child inherits an ignored SIGINT from a shell's background job; Python then never
    # raises KeyboardInterrupt. A person's terminal delivers it: so does this.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _wait_for(db: psycopg.Connection, query_like: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not db.execute(
        "select 1 from pg_stat_activity where query like %s and pid <> pg_backend_pid()",
        (query_like,),
    ).fetchone():
        assert time.monotonic() < deadline, f"no backend ran {query_like!r}"
        time.sleep(0.05)


def _tables(db: psycopg.Connection) -> set[str]:
    rows = db.execute("select tablename from pg_tables where schemaname = 'public'").fetchall()
    return {r["tablename"] for r in rows}


def test_ctrl_c_during_a_migration_rolls_it_back_and_says_so(project, db):
    root = project(migrations=SLOW)
    proc = pggate_process("migrate", "--env", "test", cwd=root, preexec_fn=_default_sigint)
    try:
        _wait_for(db, "%pg_sleep(60)%")
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130, (out, err)
    assert (
        "interrupted: 002_slow was rolled back; nothing of it applied; "
        "1 applied by this run; 2 pending" in err
    ), err
    assert "Traceback" not in err
    assert _tables(db) >= {"a"} and not _tables(db) & {"b", "c"}
    versions = db.execute("select version from pggate.schema_migrations order by 1").fetchall()
    assert [r["version"] for r in versions] == ["001"]


def test_ctrl_c_while_waiting_for_the_lock_says_nothing_ran(project, db):
    root = project(migrations=SLOW)
    db.execute("set application_name = 'other-runner'")
    db.execute("select pg_advisory_lock(%s)", (MIGRATION_LOCK_KEY,))
    proc = pggate_process("migrate", "--env", "test", cwd=root, preexec_fn=_default_sigint)
    try:
        line = ""
        while "waiting" not in line:
            line = proc.stderr.readline()
            assert line, "pggate ended without saying it waits for the lock"
        assert "held by pid" in line and "other-runner" in line, line
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
        db.execute("select pg_advisory_unlock(%s)", (MIGRATION_LOCK_KEY,))
    assert proc.returncode == 130, (out, err)
    assert "interrupted before any migration ran; 3 pending" in err, err
    assert _tables(db) == set()


# ------------------------------------------------------------ every command touching a database


def _interrupt_when(db: psycopg.Connection, query_like: str, *args: str, cwd) -> tuple[str, str]:
    """Run ``pggate ARGS``, Ctrl-C it once a backend runs ``query_like``; (stdout, stderr)."""
    proc = pggate_process(*args, cwd=cwd, preexec_fn=_default_sigint)
    try:
        _wait_for(db, query_like)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130, (out, err)
    assert "Traceback" not in err and "internal error" not in err, err
    return out, err


def _migrated(project, db, migrations):
    root = project(migrations=migrations)
    done = pggate_process("migrate", "--env", "test", cwd=root)
    out, err = done.communicate(timeout=120)
    assert done.returncode == 0, (out, err)
    return root


def test_ctrl_c_during_verify_says_nothing_changed_and_nothing_did(project, db):
    root = _migrated(
        project, db, {"001_t.sql": "create table t (x int);\ninsert into t values (1);"}
    )
    smoke = root / "checks" / "smoke"
    smoke.mkdir(parents=True)
    (smoke / "slow.sql").write_text(
        "-- expect: rows > 0\nupdate t set x = 2;\nselect pg_sleep(60) from t"
    )
    for fmt in ("text", "json"):
        out, err = _interrupt_when(
            db, "%pg_sleep(60)%", "verify", "--env", "test", "--format", fmt, cwd=root
        )
        said = (
            "interrupted: verify's checks run in transactions that are rolled back, the "
            "interrupted one too; nothing in the database was changed"
        )
        assert said in err, err
        if fmt == "json":
            document = json.loads(out)
            assert document["exit_code"] == 130 and document["message"] == said
        assert [r["x"] for r in db.execute("select x from t").fetchall()] == [1]


def test_ctrl_c_during_repair_says_what_the_history_holds(project, db):
    root = _migrated(project, db, {"001_t.sql": "create table t (x int);"})
    db.execute("select pg_advisory_lock(%s)", (MIGRATION_LOCK_KEY,))
    try:
        _, err = _interrupt_when(
            db,
            "%pg_try_advisory_lock%",
            "repair", "001", "--status", "reverted", "--env", "test",
            cwd=root,
        )  # fmt: skip
    finally:
        db.execute("select pg_advisory_unlock(%s)", (MIGRATION_LOCK_KEY,))
    assert (
        "interrupted: repair changes pggate's history in one transaction, so all of its "
        "changes or none were made; test now records 1 applied (latest 001), 0 pending" in err
    ), err
    versions = db.execute("select version from pggate.schema_migrations").fetchall()
    assert [r["version"] for r in versions] == ["001"]


def test_ctrl_c_during_rollback_says_what_is_still_applied(project, db):
    root = _migrated(
        project,
        db,
        {
            "001_a.sql": "create table a (id int);\n-- migrate:down\ndrop table a;",
            "002_b.sql": "create table b (id int);\n-- migrate:down\nselect pg_sleep(60);\n"
            "drop table b;",
        },
    )
    _, err = _interrupt_when(
        db, "%pg_sleep(60)%", "rollback", "--to", "0", "--env", "test", "--yes", cwd=root
    )
    versions = [
        r["version"]
        for r in db.execute("select version from pggate.schema_migrations order by 1").fetchall()
    ]
    latest = f" (latest {versions[-1]})" if versions else ""
    said = (
        f"interrupted: test now records {len(versions)} applied{latest}, "
        f"{2 - len(versions)} pending; {len(versions)} version(s) above 0 still applied"
    )
    assert said in err, err
    assert "002" in versions and _tables(db) >= {"b"}  # the interrupted down was rolled back


def test_ctrl_c_during_stage_names_the_step_and_the_incomplete_evidence(project, db, run_pggate):
    root = project(migrations=SLOW)
    _, err = _interrupt_when(db, "%pg_sleep(60)%", "stage", "--env", "test", cwd=root)
    flat = " ".join(err.split())
    assert (
        "interrupted during step migrate: 002_slow was rolled back; nothing of it applied; "
        "1 applied by this run; 2 pending; the evidence package " in flat
    ), err
    assert "is incomplete and reads as NO-GO" in flat
    folder = flat.split("the evidence package ", 1)[1].split(" is incomplete", 1)[0]
    report = run_pggate("report", folder, cwd=root)
    assert report.exit_code == 1, report.output  # NO-GO, as said
    versions = db.execute("select version from pggate.schema_migrations order by 1").fetchall()
    assert [r["version"] for r in versions] == ["001"]


def test_every_command_that_touches_a_database_says_what_ctrl_c_left():
    from pggate.cli import app

    offline = {"init", "new", "report", "completion"}  # files only: plain "interrupted"
    commands = {c.name: c.callback for c in app.registered_commands}
    assert offline < set(commands)
    silent = [n for n, f in commands.items() if n not in offline and not f.pggate_on_interrupt]
    assert silent == []
