-- The service role (server-side jobs) bypasses RLS and sees both organizations.
-- as: service_role
-- expect: value = 2
select count(distinct organization_id) from public.projects
