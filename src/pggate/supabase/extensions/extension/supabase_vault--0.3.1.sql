-- pggate LOCAL STAND-IN for supabase_vault: NOT the real extension. The same tables, view and
-- functions as Supabase Vault, but secrets are stored in PLAIN TEXT: the real extension
-- encrypts them with a key the local server does not have. Never put a real secret in a
-- local database.
\echo Use "CREATE EXTENSION supabase_vault" to load this file. \quit

create table @extschema@.secrets (
    id           uuid primary key default gen_random_uuid(),
    name         text,
    description  text not null default '',
    secret       text not null,
    key_id       uuid,
    nonce        bytea,
    created_at   timestamptz not null default current_timestamp,
    updated_at   timestamptz not null default current_timestamp
);
create unique index secrets_name_idx on @extschema@.secrets (name) where name is not null;
comment on table @extschema@.secrets is
    'pggate local stand-in for Supabase Vault: secrets are stored in PLAIN TEXT';

create view @extschema@.decrypted_secrets as
    select id, name, description, secret, secret as decrypted_secret, key_id, nonce,
           created_at, updated_at
    from @extschema@.secrets;

create function @extschema@.create_secret(new_secret text, new_name text default null,
                                          new_description text default '',
                                          new_key_id uuid default null) returns uuid
    language sql volatile
as $$
    insert into @extschema@.secrets (secret, name, description, key_id)
    values (new_secret, new_name, coalesce(new_description, ''), new_key_id)
    returning id
$$;

create function @extschema@.update_secret(secret_id uuid, new_secret text default null,
                                          new_name text default null,
                                          new_description text default null,
                                          new_key_id uuid default null) returns void
    language sql volatile
as $$
    update @extschema@.secrets
    set secret = coalesce(new_secret, secret), name = coalesce(new_name, name),
        description = coalesce(new_description, description),
        key_id = coalesce(new_key_id, key_id), updated_at = now()
    where id = secret_id
$$;

revoke all on @extschema@.secrets, @extschema@.decrypted_secrets from public;
revoke all on function @extschema@.create_secret(text, text, text, uuid),
                       @extschema@.update_secret(uuid, text, text, text, uuid) from public;
