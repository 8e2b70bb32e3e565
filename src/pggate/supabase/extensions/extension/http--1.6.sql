-- pggate LOCAL STAND-IN for http (pgsql-http): NOT the real extension. The types and function
-- signatures exist so migrations that define functions calling them apply; every call that
-- would make a request raises feature_not_supported (0A000): a local rehearsal makes no real
-- HTTP calls, and a test must never pass on a made-up response.
\echo Use "CREATE EXTENSION http" to load this file. \quit

create domain @extschema@.http_method as text;
create domain @extschema@.content_type as text check (value ~ '^\S+\/\S+');
create type @extschema@.http_header as (field varchar, value varchar);
create type @extschema@.http_response as (
    status integer, content_type varchar, headers @extschema@.http_header[], content varchar
);
create type @extschema@.http_request as (
    method @extschema@.http_method, uri varchar, headers @extschema@.http_header[],
    content_type varchar, content varchar
);

create function @extschema@.http_header(field varchar, value varchar) returns @extschema@.http_header
    language sql immutable
    return row(field, value)::@extschema@.http_header;

create function @extschema@.urlencode(string varchar) returns text
    language plpgsql immutable strict
as $$
declare
    result text := '';
    ch text;
begin
    foreach ch in array regexp_split_to_array(string, '') loop
        if ch ~ '[A-Za-z0-9_.~-]' then
            result := result || ch;
        else
            result := result || upper(regexp_replace(encode(convert_to(ch, 'UTF8'), 'hex'), '(..)', '%\1', 'g'));
        end if;
    end loop;
    return result;
end
$$;

create function @extschema@.http(request @extschema@.http_request) returns @extschema@.http_response
    language plpgsql volatile
as $$
begin
    raise exception 'http %: no real HTTP from the local http stand-in', coalesce((request).uri, '')
        using errcode = '0A000',
              detail = 'pggate runs a stand-in for the http extension on the embedded PostgreSQL; '
                       'it makes no network calls.',
              hint = 'keep HTTP calls out of migrations and seeds, or rehearse on a server with the '
                     'real http extension';
end
$$;

create function @extschema@.http_get(uri varchar) returns @extschema@.http_response
    language sql volatile
    return @extschema@.http(row('GET', uri, null, null, null)::@extschema@.http_request);
create function @extschema@.http_get(uri varchar, data jsonb) returns @extschema@.http_response
    language sql volatile
    return @extschema@.http(row('GET', uri, null, null, null)::@extschema@.http_request);
create function @extschema@.http_post(uri varchar, content varchar, content_type varchar)
    returns @extschema@.http_response
    language sql volatile
    return @extschema@.http(row('POST', uri, null, content_type, content)::@extschema@.http_request);
create function @extschema@.http_post(uri varchar, data jsonb) returns @extschema@.http_response
    language sql volatile
    return @extschema@.http(row('POST', uri, null, null, null)::@extschema@.http_request);
create function @extschema@.http_put(uri varchar, content varchar, content_type varchar)
    returns @extschema@.http_response
    language sql volatile
    return @extschema@.http(row('PUT', uri, null, content_type, content)::@extschema@.http_request);
create function @extschema@.http_patch(uri varchar, content varchar, content_type varchar)
    returns @extschema@.http_response
    language sql volatile
    return @extschema@.http(row('PATCH', uri, null, content_type, content)::@extschema@.http_request);
create function @extschema@.http_delete(uri varchar) returns @extschema@.http_response
    language sql volatile
    return @extschema@.http(row('DELETE', uri, null, null, null)::@extschema@.http_request);
create function @extschema@.http_head(uri varchar) returns @extschema@.http_response
    language sql volatile
    return @extschema@.http(row('HEAD', uri, null, null, null)::@extschema@.http_request);
