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
