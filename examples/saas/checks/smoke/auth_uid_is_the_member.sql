-- auth.uid() resolves to the acting member from the request's JWT claims.
-- as: tenant
-- expect: value = 1
select count(*) from public.memberships where user_id = (select auth.uid()) and organization_id = {tenant}
