"""Adopting Supabase's migration history: versions marked applied without running, missing files refused."""

from __future__ import annotations

import psycopg
import pytest
from psycopg.rows import dict_row

from pggate import api
from pggate.errors import MigrationFileError
from pggate.migrations.adopt import adopt_supabase
from pggate.migrations.files import load_folder
from pggate.migrations.history import History

FILES = {
    "20240101000000_init.sql": "create table notes (id int primary key);\n-- migrate:down\ndrop table notes;\n",
    "20240102000000_title.sql": "alter table notes add column title text;\n"
    "-- migrate:down\nalter table notes drop column title;\n",
    "20240103000000_tags.sql": "create table tags (id int primary key);\n-- migrate:down\ndrop table tags;\n",
}

SUPABASE_HISTORY = """
create schema supabase_migrations;
create table supabase_migrations.schema_migrations (version text primary key, statements text[], name text);
"""


def pushed_with_supabase(db, versions: dict[str, str]) -> None:
    """What `supabase db push` leaves: the schema changes and its history rows."""
    db.execute(SUPABASE_HISTORY)
    for version, name in versions.items():
        up = FILES[f"{version}_{name}.sql"].split("-- migrate:down")[0]
        db.execute(up)
        db.execute(
            "insert into supabase_migrations.schema_migrations values (%s, %s, %s)",
            (version, [up.strip()], name),
        )


def test_adopts_recorded_versions_without_running_them(project, db, db_url):
    root = project(migrations=FILES)
    pushed_with_supabase(db, {"20240101000000": "init", "20240102000000": "title"})
    mset = load_folder(root / "migrations", root)
    with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as conn:
        result = adopt_supabase(conn, mset, History(conn, "pggate.schema_migrations"))
        assert [a["version"] for a in result.adopted] == ["20240101000000", "20240102000000"]
        assert result.adopted[0] == {"version": "20240101000000", "name": "init", "statements": 1}
        assert result.fingerprint is not None and result.already == ()
        events = History(conn, "pggate.schema_migrations").events_of("adopt")
        assert [e["version"] for e in events] == ["20240101000000", "20240102000000"]
        again = adopt_supabase(conn, mset, History(conn, "pggate.schema_migrations"))
        assert again.adopted == () and again.already == ("20240101000000", "20240102000000")
    migrated = api.migrate(root, "test")  # only what Supabase never ran
    assert [m["version"] for m in migrated.applied] == ["20240103000000"]


def test_a_recorded_version_without_a_local_file_is_refused(project, db, db_url):
    root = project(migrations={k: v for k, v in FILES.items() if not k.startswith("20240102")})
    pushed_with_supabase(db, {"20240101000000": "init", "20240102000000": "title"})
    mset = load_folder(root / "migrations", root)
    with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as conn:
        history = History(conn, "pggate.schema_migrations")
        with pytest.raises(MigrationFileError) as refused:
            adopt_supabase(conn, mset, history)
        assert refused.value.exit_code == 2
        assert "no file in the migrations folder: 20240102000000_title" in refused.value.message
        assert "supabase migration fetch" in refused.value.hint
        assert history.applied() == []  # nothing adopted


def test_no_supabase_history_is_refused(project, db_url):
    root = project(migrations=FILES)
    with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as conn:
        with pytest.raises(MigrationFileError, match="no supabase_migrations.schema_migrations"):
            adopt_supabase(
                conn,
                load_folder(root / "migrations", root),
                History(conn, "pggate.schema_migrations"),
            )
