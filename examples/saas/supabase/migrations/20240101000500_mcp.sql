-- The mcp schema: what an AI agent (an MCP server acting for a signed-in user) may read.
-- Views only, each security_invoker so the caller's RLS applies exactly as on the tables,
-- and none exposes personal data: no e-mail, phone, names of people, free-text bodies or
-- invitation tokens.

create schema mcp;
comment on schema mcp is 'Read-only, PII-free views for AI agents; RLS applies (security_invoker)';
grant usage on schema mcp to authenticated;

create view mcp.projects with (security_invoker = true) as
    select id, organization_id, name, status, created_at
    from public.projects;

create view mcp.tasks with (security_invoker = true) as
    select id, organization_id, project_id, title, status, priority, due_date, created_at, updated_at
    from public.tasks;

create view mcp.documents with (security_invoker = true) as
    select id, organization_id, project_id, title, created_at, updated_at
    from public.documents;

create view mcp.invoices with (security_invoker = true) as
    select i.id, i.organization_id, i.number, i.status, i.currency, i.total_cents, i.due_date,
           c.name as customer_name
    from public.invoices i
    join public.customers c on c.organization_id = i.organization_id and c.id = i.customer_id;

create view mcp.project_progress with (security_invoker = true) as
    select p.organization_id, p.id as project_id, p.name,
           count(distinct t.id) as tasks,
           count(distinct t.id) filter (where t.status = 'done') as done,
           coalesce(sum(te.minutes), 0) as minutes_logged
    from public.projects p
    left join public.tasks t on t.organization_id = p.organization_id and t.project_id = p.id
    left join public.time_entries te on te.organization_id = t.organization_id and te.task_id = t.id
    group by p.organization_id, p.id, p.name;

revoke all on all tables in schema mcp from anon, authenticated;
grant select on all tables in schema mcp to authenticated;

-- migrate:down
drop view mcp.project_progress;
drop view mcp.invoices;
drop view mcp.documents;
drop view mcp.tasks;
drop view mcp.projects;
drop schema mcp;
