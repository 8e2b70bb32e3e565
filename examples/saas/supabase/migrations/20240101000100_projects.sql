-- Work: projects, their tasks, labels, comments and time tracking. Every child row
-- carries its organization_id and references its parent through (organization_id, id), so a
-- row can never point at another tenant's parent, whatever the policies say.

create table public.projects (
    id               uuid primary key default gen_random_uuid(),
    organization_id  uuid not null references public.organizations (id) on delete cascade,
    name             text not null check (length(name) between 1 and 200),
    description      text,
    status           text not null default 'active' check (status in ('active', 'paused', 'archived')),
    created_at       timestamptz not null default now(),
    created_by       uuid default auth.uid(),
    unique (organization_id, id)
);

create table public.tasks (
    id               uuid primary key default gen_random_uuid(),
    organization_id  uuid not null references public.organizations (id) on delete cascade,
    project_id       uuid not null,
    title            text not null check (length(title) between 1 and 500),
    status           text not null default 'todo' check (status in ('todo', 'in_progress', 'done')),
    priority         smallint not null default 2 check (priority between 1 and 4),
    assignee_id      uuid,
    due_date         date,
    created_at       timestamptz not null default now(),
    created_by       uuid default auth.uid(),
    updated_at       timestamptz not null default now(),
    unique (organization_id, id),
    foreign key (organization_id, project_id)
        references public.projects (organization_id, id) on delete cascade,
    foreign key (organization_id, assignee_id)
        references public.memberships (organization_id, user_id) on delete set null (assignee_id)
);
create index tasks_organization_id_project_id_idx on public.tasks (organization_id, project_id);
create index tasks_organization_id_assignee_id_idx on public.tasks (organization_id, assignee_id);

create table public.labels (
    id               uuid primary key default gen_random_uuid(),
    organization_id  uuid not null references public.organizations (id) on delete cascade,
    name             text not null check (length(name) between 1 and 50),
    color            text not null default '#888888' check (color ~ '^#[0-9a-f]{6}$'),
    created_at       timestamptz not null default now(),
    created_by       uuid default auth.uid(),
    unique (organization_id, name),
    unique (organization_id, id)
);

create table public.task_labels (
    organization_id  uuid not null references public.organizations (id) on delete cascade,
    task_id          uuid not null,
    label_id         uuid not null,
    created_at       timestamptz not null default now(),
    created_by       uuid default auth.uid(),
    primary key (organization_id, task_id, label_id),
    foreign key (organization_id, task_id) references public.tasks (organization_id, id) on delete cascade,
    foreign key (organization_id, label_id) references public.labels (organization_id, id) on delete cascade
);
create index task_labels_organization_id_label_id_idx on public.task_labels (organization_id, label_id);

create table public.comments (
    id               uuid primary key default gen_random_uuid(),
    organization_id  uuid not null references public.organizations (id) on delete cascade,
    task_id          uuid not null,
    author_id        uuid,
    body             text not null check (length(body) between 1 and 10000),
    created_at       timestamptz not null default now(),
    created_by       uuid default auth.uid(),
    foreign key (organization_id, task_id) references public.tasks (organization_id, id) on delete cascade,
    foreign key (organization_id, author_id)
        references public.memberships (organization_id, user_id) on delete set null (author_id)
);
create index comments_organization_id_task_id_idx on public.comments (organization_id, task_id);
create index comments_organization_id_author_id_idx on public.comments (organization_id, author_id);

create table public.time_entries (
    id               uuid primary key default gen_random_uuid(),
    organization_id  uuid not null references public.organizations (id) on delete cascade,
    task_id          uuid not null,
    user_id          uuid,
    minutes          integer not null check (minutes between 1 and 1440),
    spent_on         date not null default current_date,
    note             text,
    created_at       timestamptz not null default now(),
    created_by       uuid default auth.uid(),
    foreign key (organization_id, task_id) references public.tasks (organization_id, id) on delete cascade,
    foreign key (organization_id, user_id)
        references public.memberships (organization_id, user_id) on delete set null (user_id)
);
create index time_entries_organization_id_task_id_idx on public.time_entries (organization_id, task_id);
create index time_entries_organization_id_user_id_idx on public.time_entries (organization_id, user_id);

alter table public.projects enable row level security;
alter table public.projects force row level security;
create policy projects_select on public.projects for select to authenticated
    using (organization_id in (select private.member_organizations()));
create policy projects_insert on public.projects for insert to authenticated
    with check (organization_id in (select private.member_organizations('member')));
create policy projects_update on public.projects for update to authenticated
    using (organization_id in (select private.member_organizations('member')))
    with check (organization_id in (select private.member_organizations('member')));
create policy projects_delete on public.projects for delete to authenticated
    using (organization_id in (select private.member_organizations('member')));
create trigger projects_audit after insert or update or delete on public.projects
    for each row execute function private.audit_row();
revoke all on public.projects from anon, authenticated;
grant select, insert, update, delete on public.projects to authenticated;

alter table public.tasks enable row level security;
alter table public.tasks force row level security;
create policy tasks_select on public.tasks for select to authenticated
    using (organization_id in (select private.member_organizations()));
create policy tasks_insert on public.tasks for insert to authenticated
    with check (organization_id in (select private.member_organizations('member')));
create policy tasks_update on public.tasks for update to authenticated
    using (organization_id in (select private.member_organizations('member')))
    with check (organization_id in (select private.member_organizations('member')));
create policy tasks_delete on public.tasks for delete to authenticated
    using (organization_id in (select private.member_organizations('member')));
create trigger tasks_audit after insert or update or delete on public.tasks
    for each row execute function private.audit_row();
revoke all on public.tasks from anon, authenticated;
grant select, insert, update, delete on public.tasks to authenticated;
create trigger tasks_touch_updated_at before update on public.tasks
    for each row execute function private.touch_updated_at();

alter table public.labels enable row level security;
alter table public.labels force row level security;
create policy labels_select on public.labels for select to authenticated
    using (organization_id in (select private.member_organizations()));
create policy labels_insert on public.labels for insert to authenticated
    with check (organization_id in (select private.member_organizations('member')));
create policy labels_update on public.labels for update to authenticated
    using (organization_id in (select private.member_organizations('member')))
    with check (organization_id in (select private.member_organizations('member')));
create policy labels_delete on public.labels for delete to authenticated
    using (organization_id in (select private.member_organizations('member')));
create trigger labels_audit after insert or update or delete on public.labels
    for each row execute function private.audit_row();
revoke all on public.labels from anon, authenticated;
grant select, insert, update, delete on public.labels to authenticated;

alter table public.task_labels enable row level security;
alter table public.task_labels force row level security;
create policy task_labels_select on public.task_labels for select to authenticated
    using (organization_id in (select private.member_organizations()));
create policy task_labels_insert on public.task_labels for insert to authenticated
    with check (organization_id in (select private.member_organizations('member')));
create policy task_labels_update on public.task_labels for update to authenticated
    using (organization_id in (select private.member_organizations('member')))
    with check (organization_id in (select private.member_organizations('member')));
create policy task_labels_delete on public.task_labels for delete to authenticated
    using (organization_id in (select private.member_organizations('member')));
create trigger task_labels_audit after insert or update or delete on public.task_labels
    for each row execute function private.audit_row();
revoke all on public.task_labels from anon, authenticated;
grant select, insert, update, delete on public.task_labels to authenticated;

alter table public.comments enable row level security;
alter table public.comments force row level security;
create policy comments_select on public.comments for select to authenticated
    using (organization_id in (select private.member_organizations()));
create policy comments_insert on public.comments for insert to authenticated
    with check (organization_id in (select private.member_organizations('member')));
create policy comments_update on public.comments for update to authenticated
    using (organization_id in (select private.member_organizations('member')))
    with check (organization_id in (select private.member_organizations('member')));
create policy comments_delete on public.comments for delete to authenticated
    using (organization_id in (select private.member_organizations('member')));
create trigger comments_audit after insert or update or delete on public.comments
    for each row execute function private.audit_row();
revoke all on public.comments from anon, authenticated;
grant select, insert, update, delete on public.comments to authenticated;

alter table public.time_entries enable row level security;
alter table public.time_entries force row level security;
create policy time_entries_select on public.time_entries for select to authenticated
    using (organization_id in (select private.member_organizations()));
create policy time_entries_insert on public.time_entries for insert to authenticated
    with check (organization_id in (select private.member_organizations('member')));
create policy time_entries_update on public.time_entries for update to authenticated
    using (organization_id in (select private.member_organizations('member')))
    with check (organization_id in (select private.member_organizations('member')));
create policy time_entries_delete on public.time_entries for delete to authenticated
    using (organization_id in (select private.member_organizations('member')));
create trigger time_entries_audit after insert or update or delete on public.time_entries
    for each row execute function private.audit_row();
revoke all on public.time_entries from anon, authenticated;
grant select, insert, update, delete on public.time_entries to authenticated;

-- migrate:down
drop table public.time_entries;
drop table public.comments;
drop table public.task_labels;
drop table public.labels;
drop table public.tasks;
drop table public.projects;
