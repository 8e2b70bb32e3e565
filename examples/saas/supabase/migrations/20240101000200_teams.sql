-- Teams inside an organization, and invitations to join it. Managing both needs the admin
-- role; every member can see them.

create table public.teams (
    id               uuid primary key default gen_random_uuid(),
    organization_id  uuid not null references public.organizations (id) on delete cascade,
    name             text not null check (length(name) between 1 and 100),
    created_at       timestamptz not null default now(),
    created_by       uuid default auth.uid(),
    unique (organization_id, name),
    unique (organization_id, id)
);

create table public.team_members (
    organization_id  uuid not null references public.organizations (id) on delete cascade,
    team_id          uuid not null,
    user_id          uuid not null,
    is_lead          boolean not null default false,
    created_at       timestamptz not null default now(),
    created_by       uuid default auth.uid(),
    primary key (organization_id, team_id, user_id),
    foreign key (organization_id, team_id) references public.teams (organization_id, id) on delete cascade,
    foreign key (organization_id, user_id)
        references public.memberships (organization_id, user_id) on delete cascade
);
create index team_members_organization_id_user_id_idx on public.team_members (organization_id, user_id);

-- The token is what the invitation e-mail links to: random, single use, expiring.
create table public.invitations (
    id               uuid primary key default gen_random_uuid(),
    organization_id  uuid not null references public.organizations (id) on delete cascade,
    email            text not null check (email ~ '^[^@\s]+@[^@\s]+$'),
    role             public.member_role not null default 'member' check (role <> 'owner'),
    token            text not null unique default encode(extensions.gen_random_bytes(24), 'hex'),
    expires_at       timestamptz not null default now() + interval '7 days',
    accepted_at      timestamptz,
    created_at       timestamptz not null default now(),
    created_by       uuid default auth.uid()
);
create index invitations_organization_id_idx on public.invitations (organization_id);
create unique index invitations_open_email_idx on public.invitations (organization_id, lower(email))
    where accepted_at is null;

alter table public.teams enable row level security;
alter table public.teams force row level security;
create policy teams_select on public.teams for select to authenticated
    using (organization_id in (select private.member_organizations()));
create policy teams_insert on public.teams for insert to authenticated
    with check (organization_id in (select private.member_organizations('admin')));
create policy teams_update on public.teams for update to authenticated
    using (organization_id in (select private.member_organizations('admin')))
    with check (organization_id in (select private.member_organizations('admin')));
create policy teams_delete on public.teams for delete to authenticated
    using (organization_id in (select private.member_organizations('admin')));
create trigger teams_audit after insert or update or delete on public.teams
    for each row execute function private.audit_row();
revoke all on public.teams from anon, authenticated;
grant select, insert, update, delete on public.teams to authenticated;

alter table public.team_members enable row level security;
alter table public.team_members force row level security;
create policy team_members_select on public.team_members for select to authenticated
    using (organization_id in (select private.member_organizations()));
create policy team_members_insert on public.team_members for insert to authenticated
    with check (organization_id in (select private.member_organizations('admin')));
create policy team_members_update on public.team_members for update to authenticated
    using (organization_id in (select private.member_organizations('admin')))
    with check (organization_id in (select private.member_organizations('admin')));
create policy team_members_delete on public.team_members for delete to authenticated
    using (organization_id in (select private.member_organizations('admin')));
create trigger team_members_audit after insert or update or delete on public.team_members
    for each row execute function private.audit_row();
revoke all on public.team_members from anon, authenticated;
grant select, insert, update, delete on public.team_members to authenticated;

alter table public.invitations enable row level security;
alter table public.invitations force row level security;
create policy invitations_select on public.invitations for select to authenticated
    using (organization_id in (select private.member_organizations('admin')));
create policy invitations_insert on public.invitations for insert to authenticated
    with check (organization_id in (select private.member_organizations('admin')));
create policy invitations_update on public.invitations for update to authenticated
    using (organization_id in (select private.member_organizations('admin')))
    with check (organization_id in (select private.member_organizations('admin')));
create policy invitations_delete on public.invitations for delete to authenticated
    using (organization_id in (select private.member_organizations('admin')));
create trigger invitations_audit after insert or update or delete on public.invitations
    for each row execute function private.audit_row();
revoke all on public.invitations from anon, authenticated;
grant select, insert, update, delete on public.invitations to authenticated;

-- migrate:down
drop table public.invitations;
drop table public.team_members;
drop table public.teams;
