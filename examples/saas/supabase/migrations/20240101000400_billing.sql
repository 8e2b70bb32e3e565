-- Billing: customers, invoices and their lines. Only admins change billing data and only
-- members (not viewers) can read it. Customers' e-mail and phone are PII: the mcp views
-- leave them out.

create table public.customers (
    id               uuid primary key default gen_random_uuid(),
    organization_id  uuid not null references public.organizations (id) on delete cascade,
    name             text not null check (length(name) between 1 and 200),
    email            text,
    phone            text,
    created_at       timestamptz not null default now(),
    created_by       uuid default auth.uid(),
    unique (organization_id, id)
);

create table public.invoices (
    id               uuid primary key default gen_random_uuid(),
    organization_id  uuid not null references public.organizations (id) on delete cascade,
    customer_id      uuid not null,
    number           text not null,
    status           text not null default 'draft' check (status in ('draft', 'sent', 'paid', 'void')),
    currency         char(3) not null default 'EUR' check (currency ~ '^[A-Z]{3}$'),
    total_cents      bigint not null default 0 check (total_cents >= 0),
    due_date         date,
    created_at       timestamptz not null default now(),
    created_by       uuid default auth.uid(),
    updated_at       timestamptz not null default now(),
    unique (organization_id, number),
    unique (organization_id, id),
    foreign key (organization_id, customer_id)
        references public.customers (organization_id, id) on delete restrict
);
create index invoices_organization_id_customer_id_idx on public.invoices (organization_id, customer_id);

create table public.invoice_items (
    id                uuid primary key default gen_random_uuid(),
    organization_id   uuid not null references public.organizations (id) on delete cascade,
    invoice_id        uuid not null,
    description       text not null check (length(description) between 1 and 500),
    quantity          numeric(12, 2) not null check (quantity > 0),
    unit_price_cents  bigint not null check (unit_price_cents >= 0),
    created_at        timestamptz not null default now(),
    created_by        uuid default auth.uid(),
    foreign key (organization_id, invoice_id)
        references public.invoices (organization_id, id) on delete cascade
);
create index invoice_items_organization_id_invoice_id_idx on public.invoice_items (organization_id, invoice_id);

alter table public.customers enable row level security;
alter table public.customers force row level security;
create policy customers_select on public.customers for select to authenticated
    using (organization_id in (select private.member_organizations('member')));
create policy customers_insert on public.customers for insert to authenticated
    with check (organization_id in (select private.member_organizations('admin')));
create policy customers_update on public.customers for update to authenticated
    using (organization_id in (select private.member_organizations('admin')))
    with check (organization_id in (select private.member_organizations('admin')));
create policy customers_delete on public.customers for delete to authenticated
    using (organization_id in (select private.member_organizations('admin')));
create trigger customers_audit after insert or update or delete on public.customers
    for each row execute function private.audit_row();
revoke all on public.customers from anon, authenticated;
grant select, insert, update, delete on public.customers to authenticated;

alter table public.invoices enable row level security;
alter table public.invoices force row level security;
create policy invoices_select on public.invoices for select to authenticated
    using (organization_id in (select private.member_organizations('member')));
create policy invoices_insert on public.invoices for insert to authenticated
    with check (organization_id in (select private.member_organizations('admin')));
create policy invoices_update on public.invoices for update to authenticated
    using (organization_id in (select private.member_organizations('admin')))
    with check (organization_id in (select private.member_organizations('admin')));
create policy invoices_delete on public.invoices for delete to authenticated
    using (organization_id in (select private.member_organizations('admin')));
create trigger invoices_audit after insert or update or delete on public.invoices
    for each row execute function private.audit_row();
revoke all on public.invoices from anon, authenticated;
grant select, insert, update, delete on public.invoices to authenticated;
create trigger invoices_touch_updated_at before update on public.invoices
    for each row execute function private.touch_updated_at();

alter table public.invoice_items enable row level security;
alter table public.invoice_items force row level security;
create policy invoice_items_select on public.invoice_items for select to authenticated
    using (organization_id in (select private.member_organizations('member')));
create policy invoice_items_insert on public.invoice_items for insert to authenticated
    with check (organization_id in (select private.member_organizations('admin')));
create policy invoice_items_update on public.invoice_items for update to authenticated
    using (organization_id in (select private.member_organizations('admin')))
    with check (organization_id in (select private.member_organizations('admin')));
create policy invoice_items_delete on public.invoice_items for delete to authenticated
    using (organization_id in (select private.member_organizations('admin')));
create trigger invoice_items_audit after insert or update or delete on public.invoice_items
    for each row execute function private.audit_row();
revoke all on public.invoice_items from anon, authenticated;
grant select, insert, update, delete on public.invoice_items to authenticated;

-- migrate:down
drop table public.invoice_items;
drop table public.invoices;
drop table public.customers;
