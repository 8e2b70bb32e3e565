-- pggate LOCAL STAND-IN for uuid-ossp: NOT the real extension (the embedded PostgreSQL build
-- lacks it). Random (v4) and name-based MD5 (v3) UUIDs and the namespace constants are
-- computed in SQL with the real extension's results; time/MAC-based v1/v1mc and SHA-1 v5
-- raise feature_not_supported (0A000) when called.
\echo Use "CREATE EXTENSION ""uuid-ossp""" to load this file. \quit

create function @extschema@.uuid_nil() returns uuid
    language sql immutable parallel safe return '00000000-0000-0000-0000-000000000000'::uuid;
create function @extschema@.uuid_ns_dns() returns uuid
    language sql immutable parallel safe return '6ba7b810-9dad-11d1-80b4-00c04fd430c8'::uuid;
create function @extschema@.uuid_ns_url() returns uuid
    language sql immutable parallel safe return '6ba7b811-9dad-11d1-80b4-00c04fd430c8'::uuid;
create function @extschema@.uuid_ns_oid() returns uuid
    language sql immutable parallel safe return '6ba7b812-9dad-11d1-80b4-00c04fd430c8'::uuid;
create function @extschema@.uuid_ns_x500() returns uuid
    language sql immutable parallel safe return '6ba7b814-9dad-11d1-80b4-00c04fd430c8'::uuid;

create function @extschema@.uuid_generate_v4() returns uuid
    language sql volatile parallel safe return gen_random_uuid();

create function @extschema@.uuid_generate_v3(namespace uuid, name text) returns uuid
    language plpgsql immutable strict parallel safe
as $$
declare
    h bytea := decode(md5(uuid_send(namespace) || convert_to(name, 'UTF8')), 'hex');
begin
    h := set_byte(h, 6, (get_byte(h, 6) & 15) | 48);    -- version 3
    h := set_byte(h, 8, (get_byte(h, 8) & 63) | 128);   -- RFC 4122 variant
    return encode(h, 'hex')::uuid;
end
$$;

create function @extschema@.pggate_standin_uuid_unsupported(what text) returns void
    language plpgsql immutable parallel safe
as $$
begin
    raise exception '%: not available in the local uuid-ossp stand-in', what
        using errcode = '0A000',
              detail = 'pggate runs a stand-in for uuid-ossp on the embedded PostgreSQL (the build lacks it).',
              hint = 'use uuid_generate_v4() or gen_random_uuid(), or set PGGATE_PG_BINDIR to a system '
                     'PostgreSQL with contrib for the real extension';
end
$$;

create function @extschema@.uuid_generate_v1() returns uuid
    language plpgsql volatile parallel safe
as $$ begin perform @extschema@.pggate_standin_uuid_unsupported('uuid_generate_v1()'); return null; end $$;

create function @extschema@.uuid_generate_v1mc() returns uuid
    language plpgsql volatile parallel safe
as $$ begin perform @extschema@.pggate_standin_uuid_unsupported('uuid_generate_v1mc()'); return null; end $$;

create function @extschema@.uuid_generate_v5(namespace uuid, name text) returns uuid
    language plpgsql immutable strict parallel safe
as $$ begin perform @extschema@.pggate_standin_uuid_unsupported('uuid_generate_v5()'); return null; end $$;
