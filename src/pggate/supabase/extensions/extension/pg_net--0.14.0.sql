-- pggate LOCAL STAND-IN for pg_net: NOT the real extension. pg_net is asynchronous: its
-- functions queue a request and return its id; a background worker sends it later and stores
-- the response in net._http_response. The stand-in queues exactly like pg_net but has no
-- worker: nothing is ever sent, and no response ever arrives. Migrations, triggers and cron
-- commands calling net.http_get/http_post/http_delete work; code waiting for a response
-- (net.http_collect_response) raises feature_not_supported (0A000).
\echo Use "CREATE EXTENSION pg_net" to load this file. \quit

create schema if not exists net;

create unlogged table net.http_request_queue (
    id                    bigserial not null,
    method                text not null,
    url                   text not null,
    headers               jsonb not null,
    body                  bytea,
    timeout_milliseconds  integer not null
);

create unlogged table net._http_response (
    id            bigint,
    status_code   integer,
    content_type  text,
    headers       jsonb,
    content       text,
    timed_out     boolean,
    error_msg     text,
    created       timestamptz not null default now()
);
comment on table net.http_request_queue is
    'pggate local stand-in: requests are queued here and never sent';

create function net.http_get(url text, params jsonb default '{}'::jsonb,
                             headers jsonb default '{}'::jsonb,
                             timeout_milliseconds integer default 5000) returns bigint
    language sql volatile security definer set search_path = ''
as $$
    insert into net.http_request_queue (method, url, headers, timeout_milliseconds)
    values ('GET', url, headers, timeout_milliseconds)
    returning id
$$;

create function net.http_post(url text, body jsonb default '{}'::jsonb,
                              params jsonb default '{}'::jsonb,
                              headers jsonb default '{"Content-Type": "application/json"}'::jsonb,
                              timeout_milliseconds integer default 5000) returns bigint
    language sql volatile security definer set search_path = ''
as $$
    insert into net.http_request_queue (method, url, headers, body, timeout_milliseconds)
    values ('POST', url, headers, convert_to(body::text, 'UTF8'), timeout_milliseconds)
    returning id
$$;

create function net.http_delete(url text, params jsonb default '{}'::jsonb,
                                headers jsonb default '{}'::jsonb,
                                timeout_milliseconds integer default 5000) returns bigint
    language sql volatile security definer set search_path = ''
as $$
    insert into net.http_request_queue (method, url, headers, timeout_milliseconds)
    values ('DELETE', url, headers, timeout_milliseconds)
    returning id
$$;

create function net.http_collect_response(request_id bigint, async boolean default true)
    returns record
    language plpgsql volatile
as $$
begin
    raise exception 'net.http_collect_response(%): the local pg_net stand-in never sends requests', request_id
        using errcode = '0A000',
              hint = 'requests are only queued in net.http_request_queue on the embedded PostgreSQL';
end
$$;

grant usage on schema net to public;
