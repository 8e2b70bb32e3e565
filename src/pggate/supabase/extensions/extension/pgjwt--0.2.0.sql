-- pggate LOCAL STAND-IN for pgjwt: NOT the real extension (the embedded PostgreSQL build lacks
-- it). The same functions as pgjwt 0.2.0, in SQL over the pgcrypto stand-in's HMAC: HS256,
-- HS384 and HS512 tokens sign and verify exactly as with the real one.
\echo Use "CREATE EXTENSION pgjwt" to load this file. \quit

create function @extschema@.url_encode(data bytea) returns text
    language sql immutable
    return translate(encode(data, 'base64'), E'+/=\n', '-_');

create function @extschema@.url_decode(data text) returns bytea
    language sql immutable
as $$
    with t as (select translate(data, '-_', '+/') as trans),
         rem as (select length(t.trans) % 4 as remainder from t)
    select decode(t.trans || case when rem.remainder > 0 then repeat('=', 4 - rem.remainder) else '' end,
                  'base64')
    from t, rem
$$;

create function @extschema@.algorithm_sign(signables text, secret text, algorithm text) returns text
    language sql immutable
as $$
    with alg as (
        select case algorithm when 'HS256' then 'sha256' when 'HS384' then 'sha384'
                              when 'HS512' then 'sha512' else '' end as id
    )
    select @extschema@.url_encode(@extschema:pgcrypto@.hmac(signables, secret, alg.id)) from alg
$$;

create function @extschema@.sign(payload json, secret text, algorithm text default 'HS256') returns text
    language sql immutable
as $$
    with header as (
        select @extschema@.url_encode(convert_to('{"alg":"' || algorithm || '","typ":"JWT"}', 'utf8')) as data
    ),
    body as (select @extschema@.url_encode(convert_to(payload::text, 'utf8')) as data),
    signables as (select header.data || '.' || body.data as data from header, body)
    select signables.data || '.' || @extschema@.algorithm_sign(signables.data, secret, algorithm)
    from signables
$$;

create function @extschema@.try_cast_double(inp text) returns double precision
    language plpgsql immutable
as $$
begin
    begin
        return inp::double precision;
    exception when others then
        return null;
    end;
end
$$;

create function @extschema@.verify(token text, secret text, algorithm text default 'HS256')
    returns table (header json, payload json, valid boolean)
    language sql immutable
as $$
    select jwt.header as header, jwt.payload as payload,
           jwt.signature_ok and tstzrange(
               to_timestamp(@extschema@.try_cast_double(jwt.payload ->> 'nbf')),
               to_timestamp(@extschema@.try_cast_double(jwt.payload ->> 'exp'))
           ) @> current_timestamp as valid
    from (
        select convert_from(@extschema@.url_decode(r[1]), 'utf8')::json as header,
               convert_from(@extschema@.url_decode(r[2]), 'utf8')::json as payload,
               r[3] = @extschema@.algorithm_sign(r[1] || '.' || r[2], secret, algorithm) as signature_ok
        from regexp_split_to_array(token, '\.') r
    ) jwt
$$;
