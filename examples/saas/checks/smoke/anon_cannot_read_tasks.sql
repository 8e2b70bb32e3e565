-- Signed-out API users have no access to tenant tables at all.
-- as: anon
-- expect: error 42501
select id from public.tasks
