"""pggate diff between PostgreSQL 15 and 18: what only the major version explains is shown apart."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql

from tests.conftest import with_database

PG15 = "postgresql://postgres@127.0.0.1:5432/postgres"
SCHEMA = """
create table public.items (id int primary key, name text not null, price numeric not null);
grant all on table public.items to public;
create view public.names as select name from public.items;
grant select on public.names to public;
"""


def _fresh(admin_url: str) -> Iterator[str]:
    name = f"pggate_d_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    try:
        yield with_database(admin_url, name)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(sql.SQL("drop database {} with (force)").format(sql.Identifier(name)))


@pytest.fixture
def pg15_and_18(pg_server, server_version) -> Iterator[tuple[str, str]]:
    """A fresh database on a PostgreSQL 15 and one on an 18 (the embedded server)."""
    from pggate.embedded import EmbeddedServer

    if server_version // 10000 == 18:
        try:
            psycopg.connect(PG15, connect_timeout=2).close()
        except psycopg.Error:
            pytest.skip("no PostgreSQL 15 at 127.0.0.1:5432")
        old_admin, new_admin, server = PG15, pg_server, None
    elif server_version // 10000 == 15:
        server = EmbeddedServer.temporary()
        old_admin, new_admin = pg_server, server.start()
    else:
        pytest.skip("needs PostgreSQL 15 and 18")
    try:
        old_db, new_db = _fresh(old_admin), _fresh(new_admin)
        yield next(old_db), next(new_db)
        for gen in (old_db, new_db):
            next(gen, None)
    finally:
        if server is not None:
            server.stop()


def test_diff_15_vs_18_shows_version_artefacts_apart(cli, tmp_path, pg15_and_18):
    old, new = pg15_and_18
    for url in (old, new):
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(SCHEMA)
    with psycopg.connect(new, autocommit=True) as conn:
        conn.execute("alter table public.items add column note text")  # one real difference
    (tmp_path / ".env.pg15").write_text(f"DATABASE_URL={old}\n")
    (tmp_path / ".env.pg18").write_text(f"DATABASE_URL={new}\n")
    (tmp_path / "pggate.toml").write_text(
        '[project]\nmigrations = "migrations"\n'
        '[environments.pg15]\nenv_file = ".env.pg15"\n'
        '[environments.pg18]\nenv_file = ".env.pg18"\n'
    )
    result = cli("diff", "--env", "pg15", "--env-b", "pg18", "--format", "json", cwd=tmp_path)
    assert result.exit_code == 1, result.output
    data = result.json()
    assert data["diff"] == ["+ column public.items.note"]
    assert data["major_versions"] == [15, 18]
    artefacts = data["version_artefacts"]
    assert "+ constraint public.items.items_name_not_null" in artefacts
    assert "~ table public.items: grants changed" in artefacts
    assert data["note"] == (
        f"major versions differ (15 vs 18): {len(artefacts)} difference(s) are version artefacts"
    )
    text = cli("diff", "--env", "pg15", "--env-b", "pg18", cwd=tmp_path)
    assert "major versions differ (15 vs 18)" in text.output
