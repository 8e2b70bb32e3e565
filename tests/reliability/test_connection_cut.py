"""The server cuts pggate's connection mid-migration (``pg_terminate_backend`` from another session).

Whatever the moment: exit 3 with a message saying the connection was lost, no
Python traceback, nothing half applied, the migration lock gone with the session
(a rerun with ``--lock-wait 0`` gets it at once), and the rerun finishes the job.
"""

from __future__ import annotations

import json
import time

import pytest
from psycopg import sql

from pggate.db import MIGRATION_LOCK_KEY
from tests.reliability.helpers import (
    applied_versions,
    assert_clean_stderr,
    assert_never_applied_twice,
    database_of,
    pggate_backends,
    pggate_process,
    relations,
    wait_for_backends_gone,
)

# The sleep length comes from a database setting so the test can make the rerun fast.
SLOW = "select pg_sleep(coalesce(current_setting('reliability.sleep', true), '0')::float);"


def set_sleep(db, database: str, seconds: float | None) -> None:
    """Make ``SLOW`` sleep ``seconds`` in new sessions of ``database`` (``None``: not at all)."""
    if seconds is None:
        db.execute(
            sql.SQL("alter database {} reset reliability.sleep").format(sql.Identifier(database))
        )
    else:
        db.execute(
            sql.SQL("alter database {} set reliability.sleep = {}").format(
                sql.Identifier(database), sql.Literal(str(seconds))
            )
        )


def terminate_when(db, database: str, proc, query_like: str, *, waiting_on_lock=False) -> int:
    """Wait until pggate's backend runs a statement like ``query_like``, terminate it; its pid.

    ``waiting_on_lock``: only once that statement waits for a heavyweight lock.
    """
    deadline = time.monotonic() + 30
    while True:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "pggate never reached the statement"
        busy = [
            b
            for b in pggate_backends(db, database)
            if b["state"] == "active"
            and query_like in b["query"]
            and (not waiting_on_lock or b["wait_event_type"] == "Lock")
        ]
        if busy:
            pid = busy[0]["pid"]
            assert db.execute("select pg_terminate_backend(%s) as ok", (pid,)).fetchone()["ok"]
            return pid
        time.sleep(0.01)


def migration_lock_held(db) -> bool:
    """Whether anyone holds pggate's migration advisory lock."""
    row = db.execute(
        "select count(*) as n from pg_locks where locktype = 'advisory' and granted "
        "and ((classid::bigint << 32) | objid::bigint) = %s",
        (MIGRATION_LOCK_KEY,),
    ).fetchone()
    return row["n"] > 0


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_backend_terminated_mid_migration_exits_3_and_leaves_nothing_half_applied(
    project, db, run_pggate, fmt
):
    root = project(
        migrations={
            "001_a.sql": "create table a (id int);",
            "002_b.sql": f"create table b (id int);\ninsert into b values (1);\n{SLOW}\ncreate table b2 (id int);",
            "003_c.sql": "create table c (id int);",
        }
    )
    database = database_of(db)
    set_sleep(db, database, 30)
    proc = pggate_process("migrate", "--env", "test", "--format", fmt, cwd=root)
    terminate_when(db, database, proc, "pg_sleep")
    out, err = proc.communicate(timeout=30)

    assert proc.returncode == 3, (out, err)
    assert_clean_stderr(err)
    assert "error: lost the database connection" in err
    assert "terminating connection due to administrator command" in err
    assert "rolled back" in err  # the hint says what became of the migration in flight
    if fmt == "json":
        document = json.loads(out)
        assert document["exit_code"] == 3 and document["error"] == "DatabaseUnavailable"
    wait_for_backends_gone(db, database)
    assert applied_versions(db) == ["001"]
    assert set(relations(db)) == {"a"}, "nothing of 002 may survive"
    assert not migration_lock_held(db)

    set_sleep(db, database, None)
    rerun = run_pggate("migrate", "--env", "test", "--lock-wait", "0", cwd=root)
    assert rerun.exit_code == 0, rerun.output
    assert applied_versions(db) == ["001", "002", "003"]
    assert_never_applied_twice(db)
    failures = db.execute("select count(*) as n from pggate.events where kind = 'failure'")
    assert failures.fetchone()["n"] == 0, "a cut connection is not a failed migration"


def test_backend_terminated_during_concurrent_index_build_names_the_debris(project, db, db_url):
    """CREATE INDEX CONCURRENTLY cut while it waits: the rerun names the invalid index to drop."""
    import psycopg

    root = project(
        migrations={
            "001_t.sql": "create table t (id int primary key, v text);",
            "002_idx.sql": "-- pggate:no-transaction\ncreate index concurrently if not exists t_v_idx on t (v);",
        }
    )
    from pggate import api

    api.migrate(root, "test", to="001")
    database = database_of(db)
    # A transaction holding an old snapshot makes the index build wait for it (virtualxid).
    with psycopg.connect(db_url, autocommit=True) as holder:
        holder.execute("begin isolation level repeatable read")
        holder.execute("select count(*) from t")
        proc = pggate_process("migrate", "--env", "test", cwd=root)
        terminate_when(db, database, proc, "create index concurrently")
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 3, (out, err)
    assert_clean_stderr(err)
    assert "lost the database connection" in err
    wait_for_backends_gone(db, database)
    assert applied_versions(db) == ["001"]
    assert relations(db).get("t_v_idx") is False, "the cut build leaves an invalid index"
    assert not migration_lock_held(db)

    proc = pggate_process("migrate", "--env", "test", cwd=root)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1, (out, err)
    assert_clean_stderr(err)
    assert "invalid index" in err and "drop index concurrently public.t_v_idx" in err
    db.execute("drop index concurrently public.t_v_idx")
    assert api.migrate(root, "test").applied[0]["version"] == "002"
    assert relations(db)["t_v_idx"] is True
