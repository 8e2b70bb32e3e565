-- A member sees no row of another organization in any table the task board reads.
-- as: tenant
-- expect: rows = 0
-- timeout: 5s
select 'projects' from public.projects where organization_id <> {tenant}
union all select 'tasks' from public.tasks where organization_id <> {tenant}
union all select 'comments' from public.comments where organization_id <> {tenant}
union all select 'documents' from public.documents where organization_id <> {tenant}
union all select 'memberships' from public.memberships where organization_id <> {tenant}
