-- A member sees the projects of their organization.
-- as: tenant
-- expect: rows > 0
-- timeout: 5s
select id, name from public.projects where organization_id = {tenant}
