"""repair, repair --checksum and baseline: history edits that run no SQL, each an event, refusals."""

from __future__ import annotations

import psycopg
from psycopg.rows import dict_row

FILES = {
    "001_notes.sql": "create table notes (id int primary key);\n-- migrate:down\ndrop table notes;\n",
    "002_title.sql": "alter table notes add column title text;\n"
    "-- migrate:down\nalter table notes drop column title;\n",
    "003_tags.sql": "create table tags (id int primary key);\n-- migrate:down\ndrop table tags;\n",
}


def _rows(db_url: str, query: str, params: tuple = ()) -> list[dict]:
    with psycopg.connect(db_url, row_factory=dict_row) as conn:
        return conn.execute(query, params).fetchall()


def _history(db_url: str) -> list[str]:
    return [
        r["version"]
        for r in _rows(db_url, "select version from pggate.schema_migrations order by 1")
    ]


def _tables(db_url: str) -> set[str]:
    rows = _rows(db_url, "select tablename from pg_tables where schemaname = 'public'")
    return {r["tablename"] for r in rows}


def test_repair_applied_records_without_running_and_logs_who_when_why(cli, project, db_url):
    root = project(migrations=FILES)
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("create table notes (id int primary key)")  # applied by hand
    result = cli(
        "repair",
        "001",
        "--status",
        "applied",
        "--reason",
        "created by hand in the incident",
        "--env",
        "test",
        cwd=root,
    )
    assert result.exit_code == 0, result.output
    assert _history(db_url) == ["001"]
    event = _rows(db_url, "select * from pggate.events where kind = 'repair'")[0]
    assert event["version"] == "001" and event["db_user"] and event["os_user"] and event["at"]
    assert event["details"] == {
        "status": "applied",
        "reason": "created by hand in the incident",
        "ran_sql": False,
    }
    assert cli("migrate", "--env", "test", cwd=root).exit_code == 0  # 002 and 003 only
    assert _history(db_url) == ["001", "002", "003"]


def test_repair_reverted_forgets_the_version_and_leaves_the_schema(cli, project, db_url):
    root = project(migrations=FILES)
    assert cli("migrate", "--env", "test", cwd=root).exit_code == 0
    result = cli("repair", "003", "--status", "reverted", "--env", "test", cwd=root)
    assert result.exit_code == 0, result.output
    assert _history(db_url) == ["001", "002"]
    assert "tags" in _tables(db_url)  # nothing ran
    assert [
        e["details"]["status"]
        for e in _rows(db_url, "select details from pggate.events where kind = 'repair'")
    ] == ["reverted"]


def test_repair_refuses_unknown_versions_and_changes_nothing(cli, project, db_url):
    root = project(migrations=FILES)
    assert cli("migrate", "--env", "test", "--to", "001", cwd=root).exit_code == 0
    result = cli("repair", "002", "999", "--status", "applied", "--env", "test", cwd=root)
    assert result.exit_code == 2
    assert "999 has no file" in result.output
    result = cli("repair", "002", "--status", "reverted", "--env", "test", cwd=root)
    assert result.exit_code == 2 and "not in pggate's history" in result.output
    assert cli("repair", "002", "--env", "test", cwd=root).exit_code == 2  # neither option
    assert _history(db_url) == ["001"]
    assert _rows(db_url, "select * from pggate.events where kind = 'repair'") == []


def test_history_edits_are_refused_on_confirm_environments_without_yes(cli, project, db_url):
    root = project(migrations=FILES, extra_toml="confirm = true\n")
    commands = (
        ("repair", "001", "--status", "applied"),
        ("repair", "001", "--checksum"),
        ("baseline", "--version", "002"),
    )
    for command in commands:
        result = cli(*command, "--env", "test", cwd=root)
        assert result.exit_code == 2, result.output
        assert "confirm" in result.output
    assert _history_or_empty(db_url) == []
    result = cli("repair", "001", "--status", "applied", "--yes", "--env", "test", cwd=root)
    assert result.exit_code == 0, result.output
    assert _history(db_url) == ["001"]


def _history_or_empty(db_url: str) -> list[str]:
    exists = _rows(db_url, "select to_regclass('pggate.schema_migrations') is not null as ok")
    return _history(db_url) if exists[0]["ok"] else []


def test_checksum_resync_of_an_edited_applied_file(cli, project, db_url):
    root = project(migrations=FILES)
    assert cli("migrate", "--env", "test", "--to", "002", cwd=root).exit_code == 0
    edited = root / "migrations" / "001_notes.sql"
    edited.write_text("-- notes: one row per note\n" + edited.read_text())
    refused = cli("migrate", "--env", "test", cwd=root)
    assert refused.exit_code == 2
    assert "pggate repair --checksum 001" in refused.output
    rollback = cli("rollback", "--to", "0", "--yes", "--env", "test", cwd=root)
    assert rollback.exit_code == 2
    assert "pggate repair --checksum VERSION" in rollback.output
    assert "add a `-- migrate:down`" not in rollback.output  # the files have downs
    old = _rows(db_url, "select checksum from pggate.schema_migrations where version = '001'")
    result = cli(
        "repair", "001", "--checksum", "--reason", "comment only", "--env", "test", cwd=root
    )
    assert result.exit_code == 0, result.output
    event = _rows(db_url, "select details from pggate.events where kind = 'checksum'")[0]
    assert event["details"]["old_checksum"] == old[0]["checksum"]
    assert event["details"]["reason"] == "comment only"
    assert event["details"]["new_checksum"] != event["details"]["old_checksum"]
    assert cli("migrate", "--env", "test", cwd=root).exit_code == 0
    assert _history(db_url) == ["001", "002", "003"]
    again = cli("repair", "001", "--checksum", "--format", "json", "--env", "test", cwd=root)
    assert again.json()["unchanged"] == ["001"]
    assert cli("repair", "004", "--checksum", "--env", "test", cwd=root).exit_code == 2


def test_baseline_records_existing_schema_and_later_files_apply(cli, project, db_url):
    root = project(migrations=FILES)
    with psycopg.connect(db_url, autocommit=True) as conn:  # built by hand: 001 and 002
        conn.execute("create table notes (id int primary key, title text)")
    first = cli("migrate", "--env", "test", cwd=root)
    assert first.exit_code == 1
    assert "pggate baseline --version V" in first.output
    result = cli(
        "baseline",
        "--version",
        "002",
        "--reason",
        "built by hand",
        "--format",
        "json",
        "--env",
        "test",
        cwd=root,
    )
    assert result.exit_code == 0, result.output
    assert [r["version"] for r in result.json()["changed"]] == ["001", "002"]
    recorded = _rows(db_url, "select version, fingerprint from pggate.schema_migrations order by 1")
    assert (
        recorded[0]["fingerprint"] is None
        and recorded[1]["fingerprint"] == result.json()["fingerprint"]
    )
    events = _rows(db_url, "select version, details from pggate.events where kind = 'baseline'")
    assert [e["version"] for e in events] == ["001", "002"]
    assert events[0]["details"]["reason"] == "built by hand"
    assert cli("migrate", "--env", "test", cwd=root).exit_code == 0
    assert _history(db_url) == ["001", "002", "003"] and "tags" in _tables(db_url)
    status = cli("status", "--env", "test", "--format", "json", cwd=root).json()
    assert status["schema_drift"] == [] and status["drift"] == []
    again = cli("baseline", "--version", "003", "--env", "test", cwd=root)
    assert again.exit_code == 2 and "already records 3 migration(s)" in again.output
    assert cli("baseline", "--version", "007", "--env", "test", cwd=root).exit_code == 2
