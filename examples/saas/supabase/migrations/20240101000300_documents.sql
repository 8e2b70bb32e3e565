-- Documents and their file attachments. Files live in the private storage bucket
-- "attachments" under <organization_id>/<document_id>/<file name>; storage policies give
-- members of that organization access to its folder only.

create table public.documents (
    id               uuid primary key default gen_random_uuid(),
    organization_id  uuid not null references public.organizations (id) on delete cascade,
    project_id       uuid,
    title            text not null check (length(title) between 1 and 300),
    body             text not null default '',
    created_at       timestamptz not null default now(),
    created_by       uuid default auth.uid(),
    updated_at       timestamptz not null default now(),
    unique (organization_id, id),
    foreign key (organization_id, project_id)
        references public.projects (organization_id, id) on delete set null (project_id)
);
create index documents_organization_id_project_id_idx on public.documents (organization_id, project_id);

create table public.attachments (
    id               uuid primary key default gen_random_uuid(),
    organization_id  uuid not null references public.organizations (id) on delete cascade,
    document_id      uuid not null,
    storage_path     text not null unique,
    file_name        text not null,
    content_type     text,
    byte_size        bigint not null check (byte_size >= 0),
    created_at       timestamptz not null default now(),
    created_by       uuid default auth.uid(),
    foreign key (organization_id, document_id)
        references public.documents (organization_id, id) on delete cascade,
    check (storage_path like organization_id::text || '/%')
);
create index attachments_organization_id_document_id_idx on public.attachments (organization_id, document_id);

alter table public.documents enable row level security;
alter table public.documents force row level security;
create policy documents_select on public.documents for select to authenticated
    using (organization_id in (select private.member_organizations()));
create policy documents_insert on public.documents for insert to authenticated
    with check (organization_id in (select private.member_organizations('member')));
create policy documents_update on public.documents for update to authenticated
    using (organization_id in (select private.member_organizations('member')))
    with check (organization_id in (select private.member_organizations('member')));
create policy documents_delete on public.documents for delete to authenticated
    using (organization_id in (select private.member_organizations('member')));
create trigger documents_audit after insert or update or delete on public.documents
    for each row execute function private.audit_row();
revoke all on public.documents from anon, authenticated;
grant select, insert, update, delete on public.documents to authenticated;
create trigger documents_touch_updated_at before update on public.documents
    for each row execute function private.touch_updated_at();

alter table public.attachments enable row level security;
alter table public.attachments force row level security;
create policy attachments_select on public.attachments for select to authenticated
    using (organization_id in (select private.member_organizations()));
create policy attachments_insert on public.attachments for insert to authenticated
    with check (organization_id in (select private.member_organizations('member')));
create policy attachments_update on public.attachments for update to authenticated
    using (organization_id in (select private.member_organizations('member')))
    with check (organization_id in (select private.member_organizations('member')));
create policy attachments_delete on public.attachments for delete to authenticated
    using (organization_id in (select private.member_organizations('member')));
create trigger attachments_audit after insert or update or delete on public.attachments
    for each row execute function private.audit_row();
revoke all on public.attachments from anon, authenticated;
grant select, insert, update, delete on public.attachments to authenticated;

insert into storage.buckets (id, name, public, file_size_limit)
values ('attachments', 'attachments', false, 26214400);

create policy attachments_objects_select on storage.objects for select to authenticated
    using (bucket_id = 'attachments'
           and (storage.foldername(name))[1] in (select org::text from private.member_organizations() org));
create policy attachments_objects_insert on storage.objects for insert to authenticated
    with check (bucket_id = 'attachments'
                and (storage.foldername(name))[1] in (select org::text from private.member_organizations('member') org));
create policy attachments_objects_delete on storage.objects for delete to authenticated
    using (bucket_id = 'attachments'
           and (storage.foldername(name))[1] in (select org::text from private.member_organizations('member') org));

-- migrate:down
drop policy attachments_objects_delete on storage.objects;
drop policy attachments_objects_insert on storage.objects;
drop policy attachments_objects_select on storage.objects;
delete from storage.objects where bucket_id = 'attachments';
delete from storage.buckets where id = 'attachments';
drop table public.attachments;
drop table public.documents;
