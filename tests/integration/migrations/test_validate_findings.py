"""MIG001, MIG005 and MIG010 from ``pggate validate``, and what migrate does with them.

Each id is triggered by real files, and the files next to it that must not trigger it
are checked in the same run (no false positives). Where migrate must refuse, the
database is looked at afterwards.
"""

from __future__ import annotations

from tests.conftest import write_project

UP_DOWN = "create table a (id int);\n-- migrate:down\ndrop table a;\n"


def findings(result) -> list[tuple[str, str, str]]:
    """``(check, severity, file)`` of each finding of a JSON validate run."""
    return [(f["check"], f["severity"], f.get("file")) for f in result.json()["findings"]]


def public_tables(db) -> set[str]:
    rows = db.execute("select tablename from pg_tables where schemaname = 'public'").fetchall()
    return {r["tablename"] for r in rows}


def test_mig001_points_at_the_line_and_column_of_either_section(cli, tmp_path):
    root = write_project(
        tmp_path / "p",
        migrations={
            "001_ok.sql": UP_DOWN,
            "002_up.sql": "-- a comment\ncreate table b (\n  id int,\n  x int,,\n);\n",
            "003_down.sql": "create table c (id int);\n-- migrate:down\n\ndrop tabel c;\n",
            "004_file.sql": "create table d (id int);\n",
            "004_file.down.sql": "-- the down\ndrop tabel d;\n",
        },
    )
    result = cli("validate", "--format", "json", cwd=root)
    assert result.exit_code == 2, result.output
    found = {f["file"]: f for f in result.json()["findings"] if f["check"] == "MIG001"}
    assert set(found) == {
        "migrations/002_up.sql",
        "migrations/003_down.sql",
        "migrations/004_file.down.sql",  # the file that holds the error, not its up
    }
    up = found["migrations/002_up.sql"]
    assert up["severity"] == "error" and up["line"] == 4
    assert up["message"].startswith('migrations/002_up.sql:4:9: syntax error at or near ","')
    assert "(up section)" in up["message"] and "x int,," in up["message"]
    down = found["migrations/003_down.sql"]
    assert down["line"] == 4 and "003_down.sql:4:6:" in down["message"]
    assert "(down section)" in down["message"] and "drop tabel c;" in down["message"]
    assert found["migrations/004_file.down.sql"]["line"] == 2
    assert "004_file.down.sql:2:6:" in found["migrations/004_file.down.sql"]["message"]
    # Text mode says the same position.
    text = cli("validate", cwd=root)
    assert text.exit_code == 2 and "MIG001" in text.stdout
    assert "migrations/002_up.sql:4:9" in text.stdout


def test_mig001_on_a_psql_meta_command_says_it_is_not_sql(cli, tmp_path):
    root = write_project(
        tmp_path / "p",
        migrations={
            "001_seed.sql": "create table t (id int);\n  \\copy t from 'data.csv' csv\n",
            "002_bad.sql": "create table u (id int,,);\n",
        },
    )
    result = cli("validate", "--format", "json", cwd=root)
    hints = {f["file"]: f["hint"] for f in result.json()["findings"] if f["check"] == "MIG001"}
    assert hints["migrations/001_seed.sql"].startswith("\\copy is a psql meta-command, not SQL")
    assert "COPY from a file the server can read" in hints["migrations/001_seed.sql"]
    assert hints["migrations/002_bad.sql"] == "fix the SQL at that position"


def test_mig001_in_a_down_refuses_migrate_and_nothing_is_applied(cli, project, db):
    root = project(
        migrations={
            "001_ok.sql": UP_DOWN,
            "002_bad_down.sql": "create table b (id int);\n-- migrate:down\ndrop tabel b;\n",
        }
    )
    result = cli("migrate", "--env", "test", cwd=root)
    assert result.exit_code == 2, result.output
    assert "MIG001" in result.stderr and "002_bad_down.sql:3:6" in result.stderr
    assert public_tables(db) == set()


def test_mig005_warns_without_a_down_and_is_an_error_with_require_down(cli, project, db):
    root = project(
        migrations={
            "001_section.sql": UP_DOWN,
            "002_file.sql": "create table b (id int);\n",
            "002_file.down.sql": "drop table b;\n",
            "003_none.sql": "create table c (id int);\n",
        }
    )
    result = cli("validate", "--format", "json", cwd=root)
    assert result.exit_code == 0, result.output
    assert result.json()["status"] == "warn"
    # A down section or a .down.sql file both count: only 003 has none.
    assert findings(result) == [("MIG005", "warning", "migrations/003_none.sql")]
    assert "003_none has no down section" in result.json()["findings"][0]["message"]

    strict = cli("validate", "--require-down", "--format", "json", cwd=root)
    assert strict.exit_code == 2, strict.output
    assert findings(strict) == [("MIG005", "error", "migrations/003_none.sql")]

    # A warning does not stop migrate: all three are applied.
    assert cli("migrate", "--env", "test", cwd=root).exit_code == 0
    assert public_tables(db) == {"a", "b", "c"}


def test_mig005_not_reported_when_every_file_has_a_down(cli, tmp_path):
    root = write_project(tmp_path / "p", migrations={"001_a.sql": UP_DOWN})
    result = cli("validate", "--require-down", "--format", "json", cwd=root)
    assert result.exit_code == 0, result.output
    assert result.json()["status"] == "pass" and findings(result) == []


def test_mig010_two_downs_for_one_migration_refuse_migrate(cli, project, db):
    root = project(
        migrations={
            "001_section.sql": UP_DOWN,
            "002_file.sql": "create table b (id int);\n",
            "002_file.down.sql": "drop table b;\n",
            "003_both.sql": "create table c (id int);\n-- migrate:down\ndrop table c;\n",
            "003_both.down.sql": "drop table c cascade;\n",
        }
    )
    result = cli("validate", "--format", "json", cwd=root)
    assert result.exit_code == 2, result.output
    # Only the file with both is reported; one down either way is fine.
    assert findings(result) == [("MIG010", "error", "migrations/003_both.sql")]
    message = result.json()["findings"][0]["message"]
    assert message == "003_both.sql has a -- migrate:down section and a 003_both.down.sql"

    refused = cli("migrate", "--env", "test", cwd=root)
    assert refused.exit_code == 2 and "MIG010" in refused.stderr
    assert public_tables(db) == set()

    (root / "migrations" / "003_both.down.sql").unlink()
    assert cli("migrate", "--env", "test", cwd=root).exit_code == 0
    assert public_tables(db) == {"a", "b", "c"}
