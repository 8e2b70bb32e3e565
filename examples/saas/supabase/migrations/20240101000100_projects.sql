-- Projects: the first tenant-scoped table, isolated by organization_id.
create table public.projects (
    id               uuid primary key default gen_random_uuid(),
    organization_id  uuid not null references public.organizations (id) on delete cascade,
    name             text not null,
    created_at       timestamptz not null default now()
);
create index projects_organization_id_idx on public.projects (organization_id);

alter table public.projects enable row level security;
alter table public.projects force row level security;
create policy projects_select on public.projects
    for select using (organization_id = (select public.current_organization_id()));
create policy projects_insert on public.projects
    for insert with check (organization_id = (select public.current_organization_id()));
create policy projects_update on public.projects
    for update using (organization_id = (select public.current_organization_id()))
    with check (organization_id = (select public.current_organization_id()));
create policy projects_delete on public.projects
    for delete using (organization_id = (select public.current_organization_id()));

-- migrate:down
drop table public.projects;
