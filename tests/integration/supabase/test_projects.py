"""Small Supabase-style migration folders, written the way public multi-tenant projects write them,
apply with `pggate migrate` on a local environment thanks to the shim."""

from __future__ import annotations

import psycopg
import pytest
from psycopg.rows import dict_row

from tests.integration.supabase.helpers import supabase_project

# Teams with memberships, storage policies, uuid-ossp, crypt-free pgcrypto, auth.jwt() claims.
TEAMS = {
    "20230801000000_init.sql": """
        create extension if not exists "uuid-ossp" with schema extensions;
        create extension if not exists pgcrypto with schema extensions;

        create table public.teams (
            id uuid primary key default uuid_generate_v4(),
            name text not null,
            invite_code text not null default encode(gen_random_bytes(12), 'hex'),
            created_at timestamptz default now()
        );
        create table public.team_members (
            team_id uuid references public.teams (id) on delete cascade,
            user_id uuid references auth.users (id) on delete cascade,
            role text not null default 'member',
            primary key (team_id, user_id)
        );
        create index on public.team_members (user_id);

        create or replace function public.is_team_member(t uuid) returns boolean
            language sql security definer set search_path = '' stable
        as $$ select exists (select 1 from public.team_members m
                             where m.team_id = t and m.user_id = (select auth.uid())) $$;

        alter table public.teams enable row level security;
        create policy "members can read their teams" on public.teams
            for select to authenticated using (public.is_team_member(id));
        create policy "admins (app_metadata) can rename" on public.teams
            for update to authenticated
            using ((select auth.jwt()) -> 'app_metadata' ->> 'team_role' = 'admin' and public.is_team_member(id));
        alter table public.team_members enable row level security;
        create policy "members see co-members" on public.team_members
            for select to authenticated using (public.is_team_member(team_id));

        create or replace function public.handle_new_user() returns trigger
            language plpgsql security definer set search_path = ''
        as $$ begin
            insert into public.teams (name) values (coalesce(new.raw_user_meta_data ->> 'team', 'personal'));
            return new;
        end $$;
        create trigger on_auth_user_created after insert on auth.users
            for each row execute procedure public.handle_new_user();

        -- migrate:down
        drop trigger on_auth_user_created on auth.users;
        drop function public.handle_new_user();
        drop table public.team_members;
        drop table public.teams;
        drop function public.is_team_member(uuid);
    """,
    "20230802000000_storage.sql": """
        insert into storage.buckets (id, name, public) values ('team-files', 'team-files', false);
        create policy "team members read team files" on storage.objects for select to authenticated
            using (bucket_id = 'team-files' and public.is_team_member(((storage.foldername(name))[1])::uuid));
        create policy "team members upload team files" on storage.objects for insert to authenticated
            with check (bucket_id = 'team-files'
                        and storage.extension(name) in ('png', 'pdf')
                        and public.is_team_member(((storage.foldername(name))[1])::uuid));
        alter publication supabase_realtime add table public.team_members;

        -- migrate:down
        alter publication supabase_realtime drop table public.team_members;
        drop policy "team members upload team files" on storage.objects;
        drop policy "team members read team files" on storage.objects;
        delete from storage.buckets where id = 'team-files';
    """,
}

# Scheduled jobs calling webhooks, secrets in the vault: pg_cron, pg_net, supabase_vault.
# pg_net and supabase_vault come pre-installed (as on Supabase): the down leaves them.
JOBS = {
    "20240301000000_jobs.sql": """
        create extension if not exists pg_net with schema extensions;
        create extension if not exists pg_cron with schema pg_catalog;
        create extension if not exists supabase_vault with schema vault;

        select vault.create_secret('local-only-token', 'webhook_token', 'token for the digest webhook');

        create table public.digests (id bigint generated always as identity primary key,
                                     sent_at timestamptz, request_id bigint);
        alter table public.digests enable row level security;

        create function public.send_digest() returns bigint language plpgsql security definer
            set search_path = '' as $$
        declare request bigint;
        begin
            select net.http_post(
                url := 'https://hooks.example.test/digest',
                headers := jsonb_build_object('Authorization', 'Bearer ' || (
                    select decrypted_secret from vault.decrypted_secrets where name = 'webhook_token')),
                body := jsonb_build_object('at', now())) into request;
            insert into public.digests (sent_at, request_id) values (now(), request);
            return request;
        end $$;

        select cron.schedule('nightly-digest', '0 3 * * *', 'select public.send_digest()');

        -- migrate:down
        select cron.unschedule('nightly-digest');
        drop function public.send_digest();
        drop table public.digests;
        delete from vault.secrets where name = 'webhook_token';
        drop extension pg_cron;
    """,
}


def test_a_teams_project_with_storage_policies_applies_and_rolls_back(cli, tmp_path, db_url):
    root = supabase_project(tmp_path / "teams", db_url, TEAMS)
    result = cli("migrate", "--env", "test", cwd=root)
    assert result.exit_code == 0, result.output
    with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as conn:
        conn.execute(
            "insert into auth.users (id, email, raw_user_meta_data) values "
            "('00000000-0000-0000-0000-000000000001', 'a@t.test', '{\"team\": \"Red\"}')"
        )
        team = conn.execute("select id, length(invite_code) as n from public.teams").fetchone()
        assert team["n"] == 24
        conn.execute(
            "insert into public.team_members (team_id, user_id) values (%s, "
            "'00000000-0000-0000-0000-000000000001')",
            (team["id"],),
        )
        with conn.transaction():
            conn.execute("set local role authenticated")
            conn.execute(
                "select set_config('request.jwt.claims', "
                '\'{"sub": "00000000-0000-0000-0000-000000000001"}\', true)'
            )
            assert [
                r["name"] for r in conn.execute("select name from public.teams").fetchall()
            ] == ["Red"]
            conn.execute(
                "insert into storage.objects (bucket_id, name) values ('team-files', %s)",
                (f"{team['id']}/plan.pdf",),
            )
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                with conn.transaction():
                    conn.execute(
                        "insert into storage.objects (bucket_id, name) values ('team-files', %s)",
                        (f"{team['id']}/run.exe",),
                    )
        conn.execute("delete from storage.objects")
    result = cli("rollback", "--env", "test", "--to", "0", "--yes", "--format", "json", cwd=root)
    assert result.exit_code == 0, result.output
    assert result.json()["proof"]["status"] == "proven"


def test_a_project_with_cron_net_and_vault_applies_on_stand_ins(
    cli, tmp_path, db_url, server_version
):
    if server_version < 180000:
        pytest.skip("pg_cron, pg_net and supabase_vault stand-ins need PostgreSQL 18")
    root = supabase_project(tmp_path / "jobs", db_url, JOBS)
    result = cli("migrate", "--env", "test", cwd=root)
    assert result.exit_code == 0, result.output
    with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as conn:
        job = conn.execute(
            "select schedule, command from cron.job where jobname = 'nightly-digest'"
        ).fetchone()
        assert job == {"schedule": "0 3 * * *", "command": "select public.send_digest()"}
        request = conn.execute("select public.send_digest() as id").fetchone()["id"]
        queued = conn.execute(
            "select method, url, headers ->> 'Authorization' as auth "
            "from net.http_request_queue where id = %s",
            (request,),
        ).fetchone()
        assert queued == {
            "method": "POST",
            "url": "https://hooks.example.test/digest",
            "auth": "Bearer local-only-token",
        }
        assert conn.execute("select count(*) as n from net._http_response").fetchone()["n"] == 0
    result = cli("rollback", "--env", "test", "--to", "0", "--yes", "--format", "json", cwd=root)
    assert result.exit_code == 0, result.output
