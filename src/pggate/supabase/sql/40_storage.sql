-- Supabase Storage's tables (supabase/storage migrations) and the helpers storage policies use.
create table if not exists storage.buckets (
    id                  text not null primary key,
    name                text not null,
    owner               uuid,
    owner_id            text,
    created_at          timestamptz default now(),
    updated_at          timestamptz default now(),
    public              boolean default false,
    avif_autodetection  boolean default false,
    file_size_limit     bigint,
    allowed_mime_types  text[]
);
create unique index if not exists bname on storage.buckets using btree (name);

create table if not exists storage.objects (
    id                uuid not null default gen_random_uuid() primary key,
    bucket_id         text references storage.buckets (id),
    name              text,
    owner             uuid,
    owner_id          text,
    created_at        timestamptz default now(),
    updated_at        timestamptz default now(),
    last_accessed_at  timestamptz default now(),
    metadata          jsonb,
    path_tokens       text[] generated always as (string_to_array(name, '/')) stored,
    version           text,
    user_metadata     jsonb
);
create unique index if not exists bucketid_objname on storage.objects using btree (bucket_id, name);
create index if not exists name_prefix_search on storage.objects using btree (name text_pattern_ops);

alter table storage.buckets enable row level security;
alter table storage.objects enable row level security;

-- 'folder/sub/file.png' -> {folder,sub}
create or replace function storage.foldername(name text) returns text[]
    language plpgsql immutable
as $$
declare
    _parts text[];
begin
    select string_to_array(name, '/') into _parts;
    return _parts[1:array_length(_parts, 1) - 1];
end
$$;

-- 'folder/sub/file.png' -> 'file.png'
create or replace function storage.filename(name text) returns text
    language plpgsql immutable
as $$
declare
    _parts text[];
begin
    select string_to_array(name, '/') into _parts;
    return _parts[array_length(_parts, 1)];
end
$$;

-- 'folder/sub/file.png' -> 'png'
create or replace function storage.extension(name text) returns text
    language plpgsql immutable
as $$
declare
    _filename text;
begin
    select storage.filename(name) into _filename;
    return reverse(split_part(reverse(_filename), '.', 1));
end
$$;

grant all on storage.buckets, storage.objects to anon, authenticated, service_role;
grant all on storage.buckets, storage.objects to supabase_storage_admin, dashboard_user;
grant execute on function storage.foldername(text), storage.filename(text), storage.extension(text)
    to anon, authenticated, service_role;
