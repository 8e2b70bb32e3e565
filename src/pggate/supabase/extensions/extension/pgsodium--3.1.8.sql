-- pggate LOCAL STAND-IN for pgsodium: NOT the real extension. Older Supabase projects'
-- dumped migrations run `create extension if not exists pgsodium`; the schema, the key
-- table and the common functions exist so those apply. Every cryptographic function
-- RAISES feature_not_supported (0A000): a local rehearsal has no key and must not pretend.
\echo Use "CREATE EXTENSION pgsodium" to load this file. \quit

create table @extschema@.key (
    id          uuid primary key default gen_random_uuid(),
    status      text default 'valid',
    created     timestamptz not null default now(),
    expires     timestamptz,
    key_type    text,
    key_id      bigserial,
    key_context bytea default '\x7067736f6469756d',
    name        text unique,
    associated_data text default 'associated',
    raw_key     bytea,
    raw_key_nonce bytea,
    parent_key  uuid references @extschema@.key (id),
    comment     text,
    user_data   text
);

create function @extschema@._unavailable(fn text) returns void
    language plpgsql
as $$
begin
    raise exception '%: pggate local stand-in for pgsodium has no cryptography', fn
        using errcode = 'feature_not_supported',
              hint = 'use a real Supabase project, or a server with the real pgsodium';
end
$$;

create function @extschema@.randombytes_buf(size integer) returns bytea
    language plpgsql as $$ begin perform @extschema@._unavailable('randombytes_buf'); return null; end $$;
create function @extschema@.crypto_aead_det_encrypt(message bytea, additional bytea, key_uuid uuid,
                                                    nonce bytea default null) returns bytea
    language plpgsql as $$ begin perform @extschema@._unavailable('crypto_aead_det_encrypt'); return null; end $$;
create function @extschema@.crypto_aead_det_decrypt(message bytea, additional bytea, key_uuid uuid,
                                                    nonce bytea default null) returns bytea
    language plpgsql as $$ begin perform @extschema@._unavailable('crypto_aead_det_decrypt'); return null; end $$;
create function @extschema@.crypto_secretbox(message bytea, nonce bytea, key_id bigint,
                                             context bytea default 'pgsodium') returns bytea
    language plpgsql as $$ begin perform @extschema@._unavailable('crypto_secretbox'); return null; end $$;
create function @extschema@.create_key(key_type text default 'aead-det', name text default null)
    returns @extschema@.key
    language plpgsql as $$ begin perform @extschema@._unavailable('create_key'); return null; end $$;
