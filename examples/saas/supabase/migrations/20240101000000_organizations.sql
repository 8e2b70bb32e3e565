-- Tenants: every tenant-scoped row belongs to one organization.
create table public.organizations (
    id          uuid primary key default gen_random_uuid(),
    name        text not null check (length(name) between 1 and 200),
    slug        text not null unique check (slug ~ '^[a-z0-9-]+$'),
    created_at  timestamptz not null default now()
);

-- The organization the current request acts for, from the JWT claims PostgREST sets.
create function public.current_organization_id() returns uuid
    language sql stable
    set search_path = ''
as $$
    select nullif(current_setting('request.jwt.claims', true)::jsonb ->> 'organization_id', '')::uuid
$$;

alter table public.organizations enable row level security;
alter table public.organizations force row level security;
create policy organizations_select on public.organizations
    for select using (id = (select public.current_organization_id()));

-- migrate:down
drop table public.organizations;
drop function public.current_organization_id();
