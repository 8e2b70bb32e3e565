"""A project dumped from a real Supabase database uses webhooks, Vault and pg_graphql's surface
without creating any of it: the shim's supabase_functions, vault and graphql_public make it apply."""

from __future__ import annotations

import psycopg
import pytest
from psycopg.rows import dict_row

from tests.integration.supabase.helpers import supabase_project

# No `create extension`, no `create schema supabase_functions`: on Supabase they already exist.
DUMPED = {
    "20240501000000_remote_schema.sql": """
        comment on schema public is e'@graphql({"inflect_names": true})';
        create table public.orders (
            id bigint generated always as identity primary key,
            total numeric not null
        );
        alter table public.orders enable row level security;
        comment on table public.orders is e'@graphql({"totalCount": {"enabled": true}})';
        create trigger "orders_webhook" after insert on public.orders for each row
            execute function supabase_functions.http_request(
                'https://hooks.example.test/orders', 'POST',
                '{"Content-type":"application/json"}', '{}', '1000');
        create function public.api_token() returns text
            language sql stable security definer set search_path = ''
        as $$ select decrypted_secret from vault.decrypted_secrets where name = 'api_token' $$;
        select vault.create_secret('local-only', 'api_token', 'token the webhook sends');
        grant usage on schema graphql_public to anon, authenticated;
        grant execute on function graphql_public.graphql(text, text, jsonb, jsonb) to anon;
    """,
}


def test_webhooks_vault_and_graphql_apply_with_no_extra_migration(
    cli, tmp_path, db_url, server_version
):
    root = supabase_project(tmp_path / "dumped", db_url, DUMPED)
    result = cli("migrate", "--env", "test", cwd=root)
    assert result.exit_code == 0, result.output
    with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as conn:
        assert conn.execute("select public.api_token() as t").fetchone()["t"] == "local-only"
        if server_version >= 180000:
            # pg_net's stand-in queues the webhook exactly like Supabase; nothing is sent.
            conn.execute("insert into public.orders (total) values (12.5)")
            queued = conn.execute(
                "select method, url, convert_from(body, 'utf8')::jsonb -> 'record' ->> 'total' "
                "as total from net.http_request_queue"
            ).fetchall()
            assert queued == [
                {"method": "POST", "url": "https://hooks.example.test/orders", "total": "12.5"}
            ]
            hook = conn.execute("select hook_name from supabase_functions.hooks").fetchone()
            assert hook == {"hook_name": "orders_webhook"}
            # Older projects' dumps create pgsodium: it applies, and raises when used.
            conn.execute('create extension if not exists "pgsodium" with schema "pgsodium"')
            with pytest.raises(psycopg.errors.FeatureNotSupported):
                conn.execute("select pgsodium.randombytes_buf(16)")
        else:
            # No pg_net on this server: the webhook raises instead of pretending it was queued.
            with pytest.raises(psycopg.errors.FeatureNotSupported, match="pg_net"):
                conn.execute("insert into public.orders (total) values (12.5)")
        with pytest.raises(psycopg.errors.FeatureNotSupported):
            conn.execute("select graphql_public.graphql(query => '{ orders { id } }')")
    result = cli("rollback", "--env", "test", "--to", "0", "--yes", "--format", "json", cwd=root)
    # No down section: refused, the database untouched (rollback without downs: docs/rollback.md).
    assert result.exit_code == 2, result.output
