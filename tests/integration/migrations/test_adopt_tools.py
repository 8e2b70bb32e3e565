"""adopt --from dbmate and --from flyway: their histories become pggate's, refusals write nothing."""

from __future__ import annotations

import psycopg
from psycopg.rows import dict_row

FILES = {
    "001_notes.sql": "create table notes (id int primary key);\n-- migrate:down\ndrop table notes;\n",
    "002_title.sql": "alter table notes add column title text;\n"
    "-- migrate:down\nalter table notes drop column title;\n",
    "003_tags.sql": "create table tags (id int primary key);\n-- migrate:down\ndrop table tags;\n",
}
DBMATE = {
    f"2024010{n}000000_{name}.sql": body
    for n, (name, body) in enumerate(
        (
            ("notes", FILES["001_notes.sql"]),
            ("title", FILES["002_title.sql"]),
            ("tags", FILES["003_tags.sql"]),
        ),
        start=1,
    )
}


def _history(db_url: str) -> list[dict]:
    with psycopg.connect(db_url, row_factory=dict_row) as conn:
        if conn.execute("select to_regclass('pggate.schema_migrations') is null as n").fetchone()[
            "n"
        ]:
            return []
        return conn.execute(
            "select h.version, e.details ->> 'adopted_from' as source from pggate.schema_migrations h "
            "join pggate.events e on e.version = h.version and e.kind = 'adopt' order by 1"
        ).fetchall()


def test_adopt_from_dbmate(cli, project, db, db_url):
    root = project(migrations=DBMATE)
    db.execute("create table notes (id int primary key, title text)")
    db.execute("create table schema_migrations (version varchar(128) primary key)")
    db.execute("insert into schema_migrations values ('20240101000000'), ('20240102000000')")
    db.commit()
    result = cli("adopt", "--from", "dbmate", "--env", "test", cwd=root)
    assert result.exit_code == 0, result.output
    assert _history(db_url) == [
        {"version": "20240101000000", "source": "dbmate"},
        {"version": "20240102000000", "source": "dbmate"},
    ]
    assert cli("migrate", "--env", "test", cwd=root).exit_code == 0
    assert [r["version"] for r in _history(db_url)] == ["20240101000000", "20240102000000"]


def test_adopt_from_dbmate_refuses_a_version_without_a_file(cli, project, db, db_url):
    root = project(migrations=DBMATE)
    db.execute("create table schema_migrations (version varchar(128) primary key)")
    db.execute("insert into schema_migrations values ('20240101000000'), ('20231231000000')")
    db.commit()
    result = cli("adopt", "--from", "dbmate", "--env", "test", cwd=root)
    assert result.exit_code == 2
    assert "20231231000000" in result.output and "db/migrations" in result.output
    assert _history(db_url) == []


def test_adopt_from_dbmate_without_its_table(cli, project, db_url):
    root = project(migrations=DBMATE)
    result = cli("adopt", "--from", "dbmate", "--env", "test", cwd=root)
    assert result.exit_code == 2
    assert "no schema_migrations table" in result.output


FLYWAY = """
create table flyway_schema_history (
    installed_rank int primary key, version varchar(50), description varchar(200) not null,
    type varchar(20) not null, script varchar(1000) not null, checksum int,
    installed_by varchar(100) not null, installed_on timestamp not null default now(),
    execution_time int not null, success boolean not null);
"""


def _flyway_row(db, rank, version, description, kind="SQL", success=True):
    db.execute(
        "insert into flyway_schema_history values (%s, %s, %s, %s, %s, 0, 'ci', now(), 5, %s)",
        (rank, version, description, kind, f"V{version}__{description}.sql", success),
    )


def test_adopt_from_flyway_skips_failed_and_undone_versions(cli, project, db, db_url):
    root = project(migrations=FILES)
    db.execute("create table notes (id int primary key, title text)")
    db.execute(FLYWAY)
    _flyway_row(db, 1, "1", "notes")
    _flyway_row(db, 2, "2", "title")
    _flyway_row(db, 3, "3", "tags", success=False)  # failed: not applied
    _flyway_row(db, 4, None, "views", kind="SQL")  # repeatable: no version
    db.commit()
    result = cli("adopt", "--from", "flyway", "--env", "test", cwd=root)
    assert result.exit_code == 0, result.output
    # Flyway's "1" is the file 001_notes.sql.
    assert _history(db_url) == [
        {"version": "001", "source": "flyway"},
        {"version": "002", "source": "flyway"},
    ]
    assert cli("migrate", "--env", "test", cwd=root).exit_code == 0  # 003 applies


def test_adopt_from_flyway_honours_undo(cli, project, db, db_url):
    root = project(migrations=FILES)
    db.execute(FLYWAY)
    _flyway_row(db, 1, "1", "notes")
    _flyway_row(db, 2, "2", "title")
    _flyway_row(db, 3, "2", "title", kind="UNDO_SQL")
    db.commit()
    assert cli("adopt", "--from", "flyway", "--env", "test", cwd=root).exit_code == 0
    assert [r["version"] for r in _history(db_url)] == ["001"]


def test_adopt_from_flyway_refuses_dotted_versions(cli, project, db, db_url):
    root = project(migrations=FILES)
    db.execute(FLYWAY)
    _flyway_row(db, 1, "1", "notes")
    _flyway_row(db, 2, "1.1", "fix")
    db.commit()
    result = cli("adopt", "--from", "flyway", "--env", "test", cwd=root)
    assert result.exit_code == 2
    assert "1.1" in result.output and "whole numbers" in result.output
    assert _history(db_url) == []
