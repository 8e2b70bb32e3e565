-- A member cannot create a project in an organization they do not belong to.
-- as: tenant
-- expect: error 42501
insert into public.projects (organization_id, name) values (gen_random_uuid(), 'intruder')
