"""Rollback, repair, baseline and adopt on a read-only hot standby: refused up front (exit 3)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.conftest import write_project

MIGRATIONS = {
    "001_t.sql": "create table t (id int);\n-- migrate:down\ndrop table t;\n",
    "002_u.sql": "create table u (id int);\n-- migrate:down\ndrop table u;\n",
}


@pytest.fixture
def standby(tmp_path, cli) -> Iterator[tuple[Path, str]]:
    """A project migrated on a primary, whose cluster then restarts as a standby."""
    from pggate.embedded import EmbeddedServer

    state = tmp_path / "standby"
    with EmbeddedServer.persistent(state) as primary:
        root = write_project(tmp_path / "p", url=primary.url(), migrations=MIGRATIONS)
        migrated = cli("migrate", "--env", "test", cwd=root)
        assert migrated.exit_code == 0, migrated.output
    (state / "data" / "standby.signal").touch()
    with EmbeddedServer.persistent(state) as server:
        (root / ".env.test").write_text(f"DATABASE_URL={server.url()}\n")
        yield root, server.url()


def test_rollback_on_a_standby_is_refused_before_anything(cli, standby):
    root, url = standby
    for args in (("--to", "0"), ("--to", "0", "--dry-run"), ("--to", "001")):
        result = cli("rollback", "--env", "test", "--yes", *args, cwd=root)
        assert result.exit_code == 3, (args, result.output)
        assert "read-only standby" in result.stderr and "primary" in result.stderr, result.output
        assert "internal error" not in result.output
        assert "rolled back" not in result.output.replace("nothing was rolled back", "")
    with psycopg.connect(url) as conn:
        assert conn.execute("select pg_is_in_recovery()").fetchone() == (True,)
        assert conn.execute("select to_regclass('public.u') is not null").fetchone() == (True,)
        versions = conn.execute(
            "select version from pggate.schema_migrations order by version"
        ).fetchall()
    assert [v for (v,) in versions] == ["001", "002"]


def test_rollback_json_on_a_standby_says_why(cli, standby):
    root, _ = standby
    result = cli("rollback", "--env", "test", "--to", "0", "--yes", "--format", "json", cwd=root)
    assert result.exit_code == 3, result.output
    assert "read-only standby" in result.output


def test_repair_baseline_and_adopt_on_a_standby_are_refused_too(cli, standby):
    root, url = standby
    for command in (
        ["repair", "002", "--status", "reverted"],
        ["repair", "001", "--checksum"],
        ["baseline", "--version", "002"],
        ["adopt", "--from", "supabase"],
    ):
        result = cli(*command, "--env", "test", "--yes", cwd=root)
        assert result.exit_code == 3, (command, result.output)
        assert "read-only standby" in result.stderr and "primary" in result.stderr
    with psycopg.connect(url) as conn:
        versions = conn.execute("select version from pggate.schema_migrations").fetchall()
    assert sorted(v for (v,) in versions) == ["001", "002"]
