-- Database webhooks: what `supabase start` creates for them (supabase/postgres, the
-- supabase_functions migration). A webhook is a trigger calling
-- supabase_functions.http_request(url, method, headers, params, timeout_ms); the real function
-- queues the request with pg_net and records it in supabase_functions.hooks. This one has the
-- same body. Where pg_net is not installed it RAISES feature_not_supported when a trigger
-- fires: it never pretends a request was queued.
create schema if not exists supabase_functions authorization supabase_admin;
grant usage on schema supabase_functions to postgres, anon, authenticated, service_role;
grant all on schema supabase_functions to supabase_functions_admin;

create table if not exists supabase_functions.migrations (
    version     text primary key,
    inserted_at timestamptz not null default now()
);
insert into supabase_functions.migrations (version) values ('initial'), ('20210809183423_update_grants')
    on conflict (version) do nothing;

create table if not exists supabase_functions.hooks (
    id            bigserial primary key,
    hook_table_id integer not null,
    hook_name     text not null,
    created_at    timestamptz not null default now(),
    request_id    bigint
);
create index if not exists supabase_functions_hooks_request_id_idx
    on supabase_functions.hooks using btree (request_id);
create index if not exists supabase_functions_hooks_h_table_id_h_name_idx
    on supabase_functions.hooks using btree (hook_table_id, hook_name);
comment on table supabase_functions.hooks is 'Supabase Functions Hooks: Audit trail for triggered hooks.';

create or replace function supabase_functions.http_request() returns trigger
    language plpgsql security definer set search_path = supabase_functions
as $function$
declare
    request_id bigint;
    payload jsonb;
    url text := tg_argv[0]::text;
    method text := tg_argv[1]::text;
    headers jsonb default '{}'::jsonb;
    params jsonb default '{}'::jsonb;
    timeout_ms integer default 1000;
begin
    if url is null or url = 'null' then
        raise exception 'url argument is missing';
    end if;
    if method is null or method = 'null' then
        raise exception 'method argument is missing';
    end if;
    if tg_argv[2] is null or tg_argv[2] = 'null' then
        headers = '{"Content-Type": "application/json"}'::jsonb;
    else
        headers = tg_argv[2]::jsonb;
    end if;
    if tg_argv[3] is null or tg_argv[3] = 'null' then
        params = '{}'::jsonb;
    else
        params = tg_argv[3]::jsonb;
    end if;
    if tg_argv[4] is null or tg_argv[4] = 'null' then
        timeout_ms = 1000;
    else
        timeout_ms = tg_argv[4]::integer;
    end if;
    -- pggate: the real function needs pg_net; without it there is nothing that could send.
    if to_regprocedure('net.http_post(text, jsonb, jsonb, jsonb, integer)') is null then
        raise exception 'supabase_functions.http_request: pg_net is not installed on this database, so the webhook % cannot be queued', tg_name
            using errcode = 'feature_not_supported',
                  hint = 'pggate local Supabase surface: create extension pg_net (on PostgreSQL 18 a local stand-in queues requests in net.http_request_queue and never sends them)';
    end if;
    case
        when method = 'GET' then
            select http_get into request_id from net.http_get(url, params, headers, timeout_ms);
        when method = 'POST' then
            payload = jsonb_build_object(
                'old_record', old, 'record', new, 'type', tg_op,
                'table', tg_table_name, 'schema', tg_table_schema);
            select http_post into request_id from net.http_post(url, payload, params, headers, timeout_ms);
        else
            raise exception 'method argument % is invalid', method;
    end case;
    insert into supabase_functions.hooks (hook_table_id, hook_name, request_id)
    values (tg_relid, tg_name, request_id);
    return new;
end
$function$;
comment on function supabase_functions.http_request() is
    'pggate local Supabase surface: queues the webhook with pg_net like Supabase; raises without pg_net';
revoke all on function supabase_functions.http_request() from public;
grant execute on function supabase_functions.http_request()
    to postgres, anon, authenticated, service_role, supabase_functions_admin;
grant all on all tables in schema supabase_functions to supabase_functions_admin;
grant all on all sequences in schema supabase_functions to supabase_functions_admin;
