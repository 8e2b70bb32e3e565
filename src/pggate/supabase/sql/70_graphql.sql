-- pg_graphql's public entry point, as Supabase creates it. No GraphQL engine runs locally:
-- graphql.resolve is the real extension's (when installed) or pggate's stand-in, which RAISES.
-- Comment directives (comment on ... is '@graphql(...)') are plain comments and need nothing.
create schema if not exists graphql;  -- pg_graphql is pre-installed there (below, when available)
-- Older projects' dumps run `create extension if not exists pgsodium with schema pgsodium`,
-- which needs the schema Supabase has; the extension itself is not pre-installed.
create schema if not exists pgsodium;
create or replace function graphql_public.graphql(
    "operationName" text default null, query text default null,
    variables jsonb default null, extensions jsonb default null
) returns jsonb
    language plpgsql
as $function$
begin
    if to_regprocedure('graphql.resolve(text, jsonb, text, jsonb)') is null then
        raise exception 'graphql_public.graphql: pg_graphql is not installed on this database'
            using errcode = 'feature_not_supported',
                  hint = 'pggate local Supabase surface: no GraphQL engine runs locally';
    end if;
    return graphql.resolve(query => query, variables => coalesce(variables, '{}'),
                           "operationName" => "operationName", extensions => extensions);
end
$function$;
grant execute on function graphql_public.graphql(text, text, jsonb, jsonb)
    to anon, authenticated, service_role;
grant all on schema graphql_public to postgres;
