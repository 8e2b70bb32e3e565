"""SIGKILL ``pggate migrate`` at 20 seeded-random moments: history never lies, a rerun completes.

tests/integration/migrations has one SIGKILL test at a chosen moment (inside a
slow statement). This one sweeps the whole run: before the connection, while
the history tables are created, between migrations, inside multi-statement
ones, just before COMMIT, and inside a ``-- pggate:no-transaction`` file running
CREATE INDEX CONCURRENTLY, where partial state is allowed by design and the
rerun must say how to finish.
"""

from __future__ import annotations

import random
import signal
import time

import pytest

from pggate import api
from pggate.errors import MigrationFailed
from tests.reliability.helpers import (
    Workload,
    assert_never_applied_twice,
    database_of,
    pggate_backends,
    pggate_process,
    relations,
    wait_for_backends_gone,
)

SEED = 20240915
KILLS = 20
NO_TX = "009"


def workload() -> Workload:
    """16 migrations: fast ones, slow multi-statement ones, one CREATE INDEX CONCURRENTLY file."""
    files, objects = {}, {}
    for i in range(1, 17):
        version = f"{i:03d}"
        if version == NO_TX:
            files[f"{version}_concurrent_index.sql"] = (
                "-- pggate:no-transaction\n"
                "select pg_sleep(0.05);\n"
                "create index concurrently if not exists t8_v_idx on t8 (v);\n"
                "select pg_sleep(0.05);\n"
                "-- migrate:down\ndrop index concurrently if exists t8_v_idx;\n"
            )
            objects[version] = ("t8_v_idx",)
            continue
        slow = i % 3 == 0
        body = f"create table t{i} (id int primary key, v text);\n"
        if slow:
            # Several statements with a pause between: a kill lands inside the transaction.
            body += (
                f"insert into t{i} select g, md5(g::text) from generate_series(1, 500) g;\n"
                "select pg_sleep(0.05);\n"
                f"create index t{i}_v_idx on t{i} (v);\n"
            )
        files[f"{version}_t{i}.sql"] = body + f"-- migrate:down\ndrop table t{i};\n"
        objects[version] = (f"t{i}", f"t{i}_pkey") + ((f"t{i}_v_idx",) if slow else ())
    return Workload(files, objects, outside_transaction=frozenset({NO_TX}))


def reset(db) -> None:
    """Empty the database between kills (faster than a new database each time)."""
    db.execute(
        "drop schema if exists pggate cascade; drop schema public cascade; create schema public"
    )


def timed_run(root, db, database: str) -> tuple[float, float]:
    """One uninterrupted run: seconds until pggate connected, seconds from there to the end."""
    started = time.monotonic()
    proc = pggate_process("migrate", "--env", "test", cwd=root)
    wait_for_backend(db, database, proc)
    connected = time.monotonic()
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    return connected - started, time.monotonic() - connected


def wait_for_backend(db, database: str, proc) -> None:
    """Poll until the child has a backend on the database (or has already finished)."""
    deadline = time.monotonic() + 20
    while not pggate_backends(db, database) and proc.poll() is None:
        assert time.monotonic() < deadline, "pggate never connected"
        time.sleep(0.005)


def rerun(root, db, work: Workload) -> None:
    """Rerun to completion, following pggate's own hint when a killed index build left debris."""
    try:
        api.migrate(root, "test")
    except MigrationFailed as failed:
        # Only the file outside a transaction may leave debris, and the message must say what to do.
        assert "invalid index" in failed.message and "t8_v_idx" in failed.message, failed.message
        assert "drop index concurrently" in (failed.hint or "")
        db.execute("drop index concurrently t8_v_idx")
        api.migrate(root, "test")
    assert work.assert_history_matches_schema(db) == work.versions
    assert all(relations(db).values()), relations(db)
    assert_never_applied_twice(db)


@pytest.mark.slow
def test_sigkill_at_random_moments_never_leaves_history_and_schema_disagreeing(project, db):
    work = workload()
    root = project(migrations=work.files)
    database = database_of(db)

    connect_time, migrate_time = timed_run(root, db, database)
    assert work.assert_history_matches_schema(db) == work.versions

    rng = random.Random(SEED)
    outcomes = []
    for kill in range(KILLS):
        reset(db)
        proc = pggate_process("migrate", "--env", "test", cwd=root)
        if kill < 3:
            # A few kills before pggate has even connected: nothing may appear at all.
            time.sleep(rng.uniform(0.0, connect_time))
        else:
            wait_for_backend(db, database, proc)
            time.sleep(rng.uniform(0.0, migrate_time))
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        wait_for_backends_gone(db, database)
        history = work.assert_history_matches_schema(db)
        assert_never_applied_twice(db)
        outcomes.append(len(history))
        rerun(root, db, work)

    # A sweep that only ever killed during start-up (or after the end) would prove nothing.
    assert len(set(outcomes)) >= 5 and any(0 < c < len(work.versions) for c in outcomes), outcomes


def test_sigkill_after_concurrent_index_before_its_history_row_reruns_cleanly(project, db):
    """The one window where a file outside a transaction leaves work unrecorded: the rerun absorbs it."""
    root = project(
        migrations={
            "001_t.sql": "create table t (id int primary key, v text);",
            "002_idx.sql": "-- pggate:no-transaction\n"
            "create index concurrently if not exists t_v_idx on t (v);\n"
            "select pg_sleep(0.6);\n",
        }
    )
    database = database_of(db)
    proc = pggate_process("migrate", "--env", "test", cwd=root)
    deadline = time.monotonic() + 20
    while not db.execute(
        "select 1 from pg_stat_activity where datname = %s and query like 'select pg_sleep(0.6)%%' "
        "and state = 'active'",
        (database,),
    ).fetchone():
        assert time.monotonic() < deadline and proc.poll() is None, "never reached the sleep"
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    wait_for_backends_gone(db, database)
    assert relations(db).get("t_v_idx") is True
    assert [r["version"] for r in db.execute("select version from pggate.schema_migrations")] == [
        "001"
    ]
    result = api.migrate(root, "test")
    assert [m["version"] for m in result.applied] == ["002"]
    assert_never_applied_twice(db)
