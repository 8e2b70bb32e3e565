"""A Supabase project pointed at a plain server (not local): said before anything runs."""

from __future__ import annotations

import psycopg

from tests.integration.supabase.helpers import supabase_project

MIGRATION = {
    "20240101000000_init.sql": """
        create table public.notes (id uuid primary key, owner uuid references auth.users (id));
    """,
}
MESSAGE = "this is not a Supabase database; for your own server set `local = true`"


def test_check_env_says_it_is_not_a_supabase_database(cli, tmp_path, db_url):
    root = supabase_project(tmp_path / "p", db_url, MIGRATION, local=False)
    result = cli("check-env", "--env", "test", "--format", "json", cwd=root)
    assert result.exit_code == 1, result.output
    finding = next(f for f in result.json()["findings"] if f["check"] == "ENV009")
    assert MESSAGE in finding["message"]
    assert "schema auth" in finding["message"]


def test_migrate_refuses_with_that_message_and_leaves_the_database_alone(cli, tmp_path, db_url):
    root = supabase_project(tmp_path / "p", db_url, MIGRATION, local=False)
    result = cli("migrate", "--env", "test", cwd=root)
    assert result.exit_code == 2, result.output
    assert MESSAGE in result.output
    assert 'schema "auth" does not exist' not in result.output
    with psycopg.connect(db_url) as conn:
        schemas = conn.execute(
            "select count(*) from pg_namespace where nspname in ('pggate', 'auth')"
        ).fetchone()
        assert schemas == (0,)


def test_a_local_server_gets_the_surface_and_no_finding(cli, tmp_path, db_url):
    root = supabase_project(tmp_path / "p", db_url, MIGRATION, local=True)
    result = cli("check-env", "--env", "test", "--format", "json", cwd=root)
    assert result.exit_code == 0, result.output
    assert "ENV009" not in {f["check"] for f in result.json()["findings"]}
    assert cli("migrate", "--env", "test", cwd=root).exit_code == 0
