"""A transaction holds a lock on a table a migration alters: pggate retries, then names the blocker.

tests/integration/migrations checks the API names the blocker's application for
an ACCESS SHARE lock. Here, through the real command: both lock strengths, the
blocker's pid and query in the message, exit 3, the retries really happening
(and succeeding when the blocker lets go in time), nothing of the migration
applied, and the same for a file that runs outside a transaction, where the
statements before the blocked one stay applied and the message must say so.
"""

from __future__ import annotations

import threading
import time

import psycopg
import pytest

from pggate import api
from pggate.migrations.runner import LOCK_RETRIES
from tests.reliability.helpers import (
    applied_versions,
    assert_clean_stderr,
    pggate_process,
    relations,
)

BASE = {
    "001_orgs.sql": "create table orgs (id int primary key, name text);",
    "002_alter.sql": "create table audit (id int);\nalter table orgs add column extra int;",
}
TOML = 'lock_timeout = "100ms"\n'


def blocked_project(project, migrations: dict[str, str]):
    """A project with ``lock_timeout = 100ms`` whose first migration is applied."""
    root = project(migrations=migrations)
    api.migrate(root, "test", to="001")
    (root / "pggate.toml").write_text((root / "pggate.toml").read_text() + TOML)
    return root


def hold_lock(db_url: str, mode: str) -> tuple[psycopg.Connection, int]:
    """A connection idle in a transaction holding ``mode`` on orgs; its backend pid."""
    blocker = psycopg.connect(db_url, autocommit=True, application_name="blocking-tx")
    blocker.execute("begin")
    blocker.execute(f"lock table orgs in {mode} mode")
    return blocker, blocker.info.backend_pid


def migrate_while_blocked_briefly(root, db_url: str):
    """``pggate migrate`` while another session holds the table lock until the first retry.

    The blocker lets go when pggate says it is retrying (not after a fixed time, which a
    slow machine spends starting the process), so the retry after it must succeed.
    """
    blocker, _pid = hold_lock(db_url, "access exclusive")
    proc = pggate_process("migrate", "--env", "test", cwd=root)
    lines: list[str] = []

    def watch_stderr() -> None:
        for line in proc.stderr:
            lines.append(line)
            if "lock timeout, retry 1" in line:
                blocker.close()

    watcher = threading.Thread(target=watch_stderr)
    watcher.start()
    try:
        out = proc.stdout.read()
        proc.wait(timeout=60)
    finally:
        watcher.join(timeout=60)
        blocker.close()
    return proc, out, "".join(lines)


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["access share", "access exclusive"])
def test_retries_then_exits_3_naming_the_blocking_pid_and_query(project, db_url, db, mode):
    root = blocked_project(project, BASE)
    blocker, pid = hold_lock(db_url, mode)
    try:
        started = time.monotonic()
        proc = pggate_process("migrate", "--env", "test", cwd=root)
        out, err = proc.communicate(timeout=60)
        elapsed = time.monotonic() - started
    finally:
        blocker.close()
    assert proc.returncode == 3, (out, err)
    assert_clean_stderr(err)
    assert "migrations/002_alter.sql:2:1: could not get a lock within lock_timeout" in err
    assert f"pid {pid}" in err and f"lock table orgs in {mode} mode" in err and "blocking-tx" in err
    assert err.count("lock timeout, retry") == len(LOCK_RETRIES)
    assert elapsed >= sum(LOCK_RETRIES), "the retries waited"
    assert "nothing of this migration was applied" in err
    assert applied_versions(db) == ["001"]
    assert "audit" not in relations(db), "the statement before the blocked one was rolled back"
    failure = db.execute("select sqlstate, version from pggate.events where kind = 'failure'")
    assert failure.fetchall() == [{"sqlstate": "55P03", "version": "002"}]


def test_blocker_that_lets_go_during_the_retries_is_waited_out(project, db_url, db):
    proc, out, err = migrate_while_blocked_briefly(blocked_project(project, BASE), db_url)
    assert proc.returncode == 0, (out, err)
    assert "lock timeout, retry 1" in err
    assert applied_versions(db) == ["001", "002"]
    assert {"audit", "orgs"} <= set(relations(db))


NO_TX = {
    "001_orgs.sql": "create table orgs (id int primary key, name text);\n"
    "create table tasks (id int primary key, org_id int);",
    "002_indexes.sql": "-- pggate:no-transaction\n"
    "create index concurrently if not exists tasks_org_idx on tasks (org_id);\n"
    "create index concurrently if not exists orgs_name_idx on orgs (name);",
}


def test_outside_a_transaction_the_blocked_statement_is_retried(project, db_url, db):
    proc, out, err = migrate_while_blocked_briefly(blocked_project(project, NO_TX), db_url)
    assert proc.returncode == 0, (out, err)
    assert "lock timeout, retry 1" in err
    assert applied_versions(db) == ["001", "002"]
    assert relations(db).get("orgs_name_idx") is True


@pytest.mark.slow
def test_outside_a_transaction_the_message_says_what_stayed_applied(project, db_url, db):
    root = blocked_project(project, NO_TX)
    blocker, pid = hold_lock(db_url, "access exclusive")
    try:
        proc = pggate_process("migrate", "--env", "test", cwd=root)
        out, err = proc.communicate(timeout=60)
    finally:
        blocker.close()
    assert proc.returncode == 3, (out, err)
    assert_clean_stderr(err)
    assert f"pid {pid}" in err and "lock table orgs in access exclusive mode" in err
    assert err.count("lock timeout, retry") == len(LOCK_RETRIES)
    # The first index was built and stays; claiming "nothing was applied" would be a lie.
    assert "nothing of this migration was applied" not in err
    assert "statement 1 stayed applied" in " ".join(err.split()), err
    assert applied_versions(db) == ["001"]
    assert relations(db).get("tasks_org_idx") is True and "orgs_name_idx" not in relations(db)
    # Once the blocker is gone the rerun finishes (the file is idempotent, as the hint asks).
    assert [m["version"] for m in api.migrate(root, "test").applied] == ["002"]
