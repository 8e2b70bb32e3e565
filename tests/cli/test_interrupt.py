"""Ctrl-C (a real SIGINT) during migrate: it says what happened, exits 130, the database agrees."""

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
