-- pggate LOCAL STAND-IN for pgcrypto: NOT the real extension (the embedded PostgreSQL build
-- lacks it). Hashing, HMAC and random bytes are computed in SQL with the same results as
-- pgcrypto; what cannot be faithful without the C library (crypt, gen_salt, PGP, raw ciphers)
-- raises feature_not_supported (0A000) when called, so a test never passes on a fake.
\echo Use "CREATE EXTENSION pgcrypto" to load this file. \quit

create function @extschema@.digest(data bytea, type text) returns bytea
    language plpgsql immutable strict parallel safe
as $$
begin
    case lower(type)
        when 'md5' then return decode(md5(data), 'hex');
        when 'sha224' then return sha224(data);
        when 'sha256' then return sha256(data);
        when 'sha384' then return sha384(data);
        when 'sha512' then return sha512(data);
        else
            raise exception 'digest(%): the local pgcrypto stand-in supports md5, sha224, sha256, sha384 and sha512', type
                using errcode = '0A000',
                      hint = 'pggate runs a stand-in for pgcrypto on the embedded PostgreSQL; '
                             'set PGGATE_PG_BINDIR to a system PostgreSQL with contrib for the real one';
    end case;
end
$$;

create function @extschema@.digest(data text, type text) returns bytea
    language sql immutable strict parallel safe
    return @extschema@.digest(convert_to(data, 'UTF8'), type);

create function @extschema@.hmac(data bytea, key bytea, type text) returns bytea
    language plpgsql immutable strict parallel safe
as $$
declare
    block int := case when lower(type) in ('sha384', 'sha512') then 128 else 64 end;
    k bytea := key;
    inner_key bytea;
    outer_key bytea;
begin
    if length(k) > block then
        k := @extschema@.digest(k, type);
    end if;
    k := k || decode(repeat('00', block - length(k)), 'hex');
    inner_key := k;
    outer_key := k;
    for i in 0 .. block - 1 loop
        inner_key := set_byte(inner_key, i, get_byte(k, i) # 54);   -- 0x36
        outer_key := set_byte(outer_key, i, get_byte(k, i) # 92);   -- 0x5c
    end loop;
    return @extschema@.digest(outer_key || @extschema@.digest(inner_key || data, type), type);
end
$$;

create function @extschema@.hmac(data text, key text, type text) returns bytea
    language sql immutable strict parallel safe
    return @extschema@.hmac(convert_to(data, 'UTF8'), convert_to(key, 'UTF8'), type);

-- Random bytes from gen_random_uuid() (the server's strong random source): the 14 bytes of
-- each version-4 UUID that carry no version or variant bits.
create function @extschema@.gen_random_bytes(integer) returns bytea
    language plpgsql volatile strict parallel safe
as $$
declare
    result bytea := ''::bytea;
    u bytea;
begin
    if $1 < 1 or $1 > 1024 then
        raise exception 'Length not in range' using errcode = '22023';
    end if;
    while length(result) < $1 loop
        u := uuid_send(gen_random_uuid());
        result := result || substring(u from 1 for 6) || substring(u from 8 for 1)
                         || substring(u from 10 for 7);
    end loop;
    return substring(result from 1 for $1);
end
$$;

create function @extschema@.pggate_standin_unsupported(what text) returns void
    language plpgsql immutable parallel safe
as $$
begin
    raise exception '%: not available in the local pgcrypto stand-in', what
        using errcode = '0A000',
              detail = 'pggate runs a stand-in for pgcrypto on the embedded PostgreSQL (the build lacks '
                       'pgcrypto); password hashing and PGP need the real C library.',
              hint = 'set PGGATE_PG_BINDIR to a system PostgreSQL with contrib (engine = "system"), '
                     'or keep password hashing in GoTrue (auth.users.encrypted_password)';
end
$$;

create function @extschema@.crypt(text, text) returns text
    language plpgsql immutable strict parallel safe
as $$ begin perform @extschema@.pggate_standin_unsupported('crypt()'); return null; end $$;

create function @extschema@.gen_salt(text) returns text
    language plpgsql volatile strict parallel safe
as $$ begin perform @extschema@.pggate_standin_unsupported('gen_salt()'); return null; end $$;

create function @extschema@.gen_salt(text, integer) returns text
    language plpgsql volatile strict parallel safe
as $$ begin perform @extschema@.pggate_standin_unsupported('gen_salt()'); return null; end $$;

create function @extschema@.encrypt(bytea, bytea, text) returns bytea
    language plpgsql immutable strict parallel safe
as $$ begin perform @extschema@.pggate_standin_unsupported('encrypt()'); return null; end $$;

create function @extschema@.decrypt(bytea, bytea, text) returns bytea
    language plpgsql immutable strict parallel safe
as $$ begin perform @extschema@.pggate_standin_unsupported('decrypt()'); return null; end $$;

create function @extschema@.pgp_sym_encrypt(text, text) returns bytea
    language plpgsql volatile strict parallel safe
as $$ begin perform @extschema@.pggate_standin_unsupported('pgp_sym_encrypt()'); return null; end $$;

create function @extschema@.pgp_sym_encrypt(text, text, text) returns bytea
    language plpgsql volatile strict parallel safe
as $$ begin perform @extschema@.pggate_standin_unsupported('pgp_sym_encrypt()'); return null; end $$;

create function @extschema@.pgp_sym_decrypt(bytea, text) returns text
    language plpgsql immutable strict parallel safe
as $$ begin perform @extschema@.pggate_standin_unsupported('pgp_sym_decrypt()'); return null; end $$;

create function @extschema@.pgp_sym_decrypt(bytea, text, text) returns text
    language plpgsql immutable strict parallel safe
as $$ begin perform @extschema@.pggate_standin_unsupported('pgp_sym_decrypt()'); return null; end $$;

create function @extschema@.pgp_pub_encrypt(text, bytea) returns bytea
    language plpgsql volatile strict parallel safe
as $$ begin perform @extschema@.pggate_standin_unsupported('pgp_pub_encrypt()'); return null; end $$;

create function @extschema@.pgp_pub_decrypt(bytea, bytea) returns text
    language plpgsql immutable strict parallel safe
as $$ begin perform @extschema@.pggate_standin_unsupported('pgp_pub_decrypt()'); return null; end $$;

create function @extschema@.armor(bytea) returns text
    language plpgsql immutable strict parallel safe
as $$ begin perform @extschema@.pggate_standin_unsupported('armor()'); return null; end $$;

create function @extschema@.dearmor(text) returns bytea
    language plpgsql immutable strict parallel safe
as $$ begin perform @extschema@.pggate_standin_unsupported('dearmor()'); return null; end $$;
