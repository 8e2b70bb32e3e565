-- Identity model: organizations (the tenants), profiles (one per auth.users row) and
-- memberships with roles; the private helpers every policy uses; the audit trail.
--
-- Conventions for every tenant-scoped table in this project (organizations, the tenant
-- root, and profiles, owned by their user, are tenant-scoped too: the last two points hold
-- for them):
--   * an organization_id column referencing public.organizations, indexed first;
--   * RLS enabled AND forced, one policy per command for role authenticated, deciding
--     membership through private.member_organizations() (SECURITY DEFINER, empty
--     search_path, reading (select auth.uid()) once per statement);
--   * created_at / created_by columns and the private.audit_row() trigger.

create schema private;
comment on schema private is 'Helpers and the audit log: never exposed through the API';
grant usage on schema private to authenticated, service_role;

create type public.member_role as enum ('viewer', 'member', 'admin', 'owner');

-- The audit trail: one row per insert/update/delete on a tenant table. It has no foreign
-- key to organizations on purpose: the trail outlives what it describes.
create table private.audit_log (
    id               bigint generated always as identity primary key,
    organization_id  uuid,
    table_name       text not null,
    record_id        text,
    action           text not null check (action in ('insert', 'update', 'delete')),
    actor            uuid,
    old_data         jsonb,
    new_data         jsonb,
    at               timestamptz not null default now()
);
create index audit_log_organization_id_at_idx on private.audit_log (organization_id, at desc);
revoke all on private.audit_log from public, anon, authenticated;

create function private.audit_row() returns trigger
    language plpgsql
    security definer
    set search_path = ''
as $$
declare
    old_row jsonb := case when tg_op in ('UPDATE', 'DELETE') then to_jsonb(old) end;
    new_row jsonb := case when tg_op in ('INSERT', 'UPDATE') then to_jsonb(new) end;
begin
    insert into private.audit_log (organization_id, table_name, record_id, action, actor, old_data, new_data)
    values ((coalesce(new_row, old_row) ->> 'organization_id')::uuid,
            tg_table_schema || '.' || tg_table_name,
            coalesce(new_row, old_row) ->> 'id',
            lower(tg_op),
            (select auth.uid()),
            old_row,
            new_row);
    return null;
end
$$;
revoke all on function private.audit_row() from public;

create function private.touch_updated_at() returns trigger
    language plpgsql
    set search_path = ''
as $$
begin
    new.updated_at := now();
    return new;
end
$$;

create table public.organizations (
    id          uuid primary key default gen_random_uuid(),
    name        text not null check (length(name) between 1 and 200),
    slug        text not null unique check (slug ~ '^[a-z0-9-]{2,64}$'),
    plan        text not null default 'free' check (plan in ('free', 'pro', 'enterprise')),
    created_at  timestamptz not null default now(),
    created_by  uuid default auth.uid()
);

create table public.profiles (
    id          uuid primary key references auth.users (id) on delete cascade,
    full_name   text check (length(full_name) <= 200),
    email       text,
    avatar_url  text,
    created_at  timestamptz not null default now(),
    created_by  uuid default auth.uid(),
    updated_at  timestamptz not null default now()
);
comment on column public.profiles.email is 'PII: copied from auth.users at sign-up';

create table public.memberships (
    id               uuid primary key default gen_random_uuid(),
    organization_id  uuid not null references public.organizations (id) on delete cascade,
    user_id          uuid not null references auth.users (id) on delete cascade,
    role             public.member_role not null default 'member',
    created_at       timestamptz not null default now(),
    created_by       uuid default auth.uid(),
    unique (organization_id, user_id)
);
create index memberships_user_id_idx on public.memberships (user_id);

-- The organizations the current user belongs to with at least min_role. SECURITY DEFINER so
-- that policies on memberships itself can use it without recursing into their own RLS.
create function private.member_organizations(min_role public.member_role default 'viewer')
    returns setof uuid
    language sql
    stable
    security definer
    set search_path = ''
as $$
    select m.organization_id
    from public.memberships m
    where m.user_id = (select auth.uid())
      and m.role >= min_role
$$;
revoke all on function private.member_organizations(public.member_role) from public;
grant execute on function private.member_organizations(public.member_role) to authenticated, service_role;

-- Sign-up: every new auth.users row gets its profile.
create function private.handle_new_user() returns trigger
    language plpgsql
    security definer
    set search_path = ''
as $$
begin
    insert into public.profiles (id, full_name, email)
    values (new.id, new.raw_user_meta_data ->> 'full_name', new.email);
    return new;
end
$$;
revoke all on function private.handle_new_user() from public;
create trigger on_auth_user_created
    after insert on auth.users
    for each row execute function private.handle_new_user();

-- Creating an organization makes the caller its owner, in one call from the client.
create function public.create_organization(org_name text, org_slug text) returns uuid
    language plpgsql
    security definer
    set search_path = ''
as $$
declare
    new_id uuid;
    caller uuid := (select auth.uid());
begin
    if caller is null then
        raise exception 'sign in to create an organization' using errcode = '42501';
    end if;
    insert into public.organizations (name, slug, created_by)
    values (org_name, org_slug, caller)
    returning id into new_id;
    insert into public.memberships (organization_id, user_id, role, created_by)
    values (new_id, caller, 'owner', caller);
    return new_id;
end
$$;
revoke all on function public.create_organization(text, text) from public, anon;
grant execute on function public.create_organization(text, text) to authenticated;

alter table public.organizations enable row level security;
alter table public.organizations force row level security;
create policy organizations_select on public.organizations for select to authenticated
    using (id in (select private.member_organizations()));
create policy organizations_update on public.organizations for update to authenticated
    using (id in (select private.member_organizations('admin')))
    with check (id in (select private.member_organizations('admin')));
create policy organizations_delete on public.organizations for delete to authenticated
    using (id in (select private.member_organizations('owner')));
create trigger organizations_audit after insert or update or delete on public.organizations
    for each row execute function private.audit_row();

alter table public.profiles enable row level security;
alter table public.profiles force row level security;
create policy profiles_select on public.profiles for select to authenticated
    using (id = (select auth.uid())
           or id in (select m.user_id from public.memberships m
                     where m.organization_id in (select private.member_organizations())));
create policy profiles_update on public.profiles for update to authenticated
    using (id = (select auth.uid()))
    with check (id = (select auth.uid()));
create trigger profiles_touch_updated_at before update on public.profiles
    for each row execute function private.touch_updated_at();
create trigger profiles_audit after insert or update or delete on public.profiles
    for each row execute function private.audit_row();

alter table public.memberships enable row level security;
alter table public.memberships force row level security;
create policy memberships_select on public.memberships for select to authenticated
    using (organization_id in (select private.member_organizations()));
create policy memberships_insert on public.memberships for insert to authenticated
    with check (organization_id in (select private.member_organizations('admin')));
create policy memberships_update on public.memberships for update to authenticated
    using (organization_id in (select private.member_organizations('admin')))
    with check (organization_id in (select private.member_organizations('admin')));
create policy memberships_delete on public.memberships for delete to authenticated
    using (organization_id in (select private.member_organizations('admin'))
           or user_id = (select auth.uid()));
create trigger memberships_audit after insert or update or delete on public.memberships
    for each row execute function private.audit_row();

revoke all on public.organizations, public.profiles, public.memberships from anon, authenticated;
grant select, update, delete on public.organizations to authenticated;
grant select, update on public.profiles to authenticated;
grant select, insert, update, delete on public.memberships to authenticated;

-- migrate:down
drop trigger on_auth_user_created on auth.users;
drop function public.create_organization(text, text);
drop table public.profiles;
drop table public.memberships;
drop table public.organizations;
drop function private.handle_new_user();
drop function private.member_organizations(public.member_role);
drop function private.touch_updated_at();
drop function private.audit_row();
drop table private.audit_log;
drop type public.member_role;
drop schema private;
