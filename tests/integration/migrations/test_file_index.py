"""status, migrate and rollback on a real server with every file vouched for by the file index."""

from __future__ import annotations

import os
import time

import pytest

from tests.integration.migrations.test_migrate import TASKS


@pytest.fixture(autouse=True)
def _old_enough(no_racy_window: None) -> None:
    """Files a test just wrote count as old enough; each edit below waits a clock tick."""


def _tables(db) -> set[str]:
    rows = db.execute("select tablename from pg_tables where schemaname = 'public'").fetchall()
    return {r["tablename"] for r in rows}


def test_pending_files_from_the_index_apply_and_roll_back(cli, project, db, reads):
    root = project(migrations=TASKS)
    assert cli("validate", cwd=root).exit_code == 0  # indexes both files
    reads.clear()
    result = cli("migrate", "--env", "test", cwd=root)
    assert result.exit_code == 0, result.output
    assert _tables(db) == {"orgs", "tasks"}
    assert sorted(reads) == ["001_orgs.sql", "002_tasks.sql"], "read once each, to run them"
    reads.clear()
    assert cli("status", "--env", "test", cwd=root).exit_code == 0
    assert cli("migrate", "--env", "test", cwd=root).exit_code == 0
    assert reads == [], "a no-op status and migrate read no file"
    assert cli("rollback", "--env", "test", "--to", "0", "--yes", cwd=root).exit_code == 0
    assert _tables(db) == set()


def test_an_edit_keeping_size_and_mtime_is_drift_and_refused(cli, project, db):
    root = project(migrations=TASKS)
    assert cli("migrate", "--env", "test", cwd=root).exit_code == 0
    assert cli("status", "--env", "test", cwd=root).exit_code == 0  # the index has both
    path = root / "migrations" / "001_orgs.sql"
    before = path.stat()
    time.sleep(0.05)  # a clock tick of its own for the edit's ctime
    path.write_text(path.read_text().replace("name text", "name char"))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    status = cli("status", "--env", "test", "--format", "json", cwd=root)
    assert [f["details"]["kind"] for f in status.json()["drift"]] == ["edited"]
    (root / "migrations" / "003_more.sql").write_text("create table more (id int);")
    result = cli("migrate", "--env", "test", cwd=root)
    assert result.exit_code == 2 and "edited after it was applied" in result.stderr
    assert "more" not in _tables(db)


def test_a_pending_file_edited_after_it_was_loaded_is_not_run(project, db, monkeypatch):
    """Its stat was vouched for, then it changed before its SQL was read: nothing of it runs."""
    from pggate import api, operations

    root = project(migrations=TASKS)
    api.validate(root)  # indexes both files
    real = operations.migration_set

    def edited_after_loading(project_):
        mset = real(project_)
        path = root / "migrations" / "002_tasks.sql"
        path.write_text(path.read_text().replace("title text", "title text, body text"))
        return mset

    monkeypatch.setattr(operations, "migration_set", edited_after_loading)
    from pggate.errors import MigrationFileError

    with pytest.raises(MigrationFileError, match=r"migrations/002_tasks\.sql changed while pggate"):
        api.migrate(root, "test")
    assert "tasks" not in _tables(db)
    monkeypatch.undo()
    api.migrate(root, "test")
    columns = db.execute(
        "select column_name from information_schema.columns where table_name = 'tasks'"
    ).fetchall()
    assert "body" in {c["column_name"] for c in columns}
