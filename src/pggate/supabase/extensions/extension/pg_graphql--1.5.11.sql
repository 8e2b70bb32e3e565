-- pggate LOCAL STAND-IN for pg_graphql: NOT the real extension. The schema and the entry
-- points exist so migrations that grant on them or comment with @graphql directives apply;
-- resolving a query raises feature_not_supported (0A000): no made-up GraphQL result.
\echo Use "CREATE EXTENSION pg_graphql" to load this file. \quit

create function @extschema@.resolve(query text, variables jsonb default '{}',
                                    "operationName" text default null,
                                    extensions jsonb default null) returns jsonb
    language plpgsql
as $$
begin
    raise exception 'graphql.resolve is not available: pggate local stand-in for pg_graphql'
        using errcode = 'feature_not_supported',
              hint = 'run GraphQL queries against a real Supabase project';
end
$$;

create function @extschema@.comment_directive(comment_ text) returns jsonb
    language sql immutable
as $$
    select case when comment_ ~ '^\s*@graphql\(' then
        substring(comment_ from '^\s*@graphql\((.*)\)\s*$')::jsonb end
$$;

grant usage on schema @extschema@ to public;
grant execute on function @extschema@.resolve(text, jsonb, text, jsonb) to public;
