-- Two organizations with a project each: what the isolation proof needs to prove anything.
-- pggate runs this inside the proof's transaction (rolled back) when fewer than two tenants
-- have rows. The roles exist on real Supabase; the DO block keeps this file idempotent there.
do $$ begin create role authenticated nologin; exception when duplicate_object then null; end $$;
do $$ begin create role anon nologin; exception when duplicate_object then null; end $$;
grant usage on schema public to authenticated, anon;
grant select, insert, update, delete on public.organizations, public.projects to authenticated;
grant select on public.organizations, public.projects to anon;

insert into public.organizations (id, name, slug) values
    ('00000000-0000-0000-0000-00000000000a', 'Acme', 'acme'),
    ('00000000-0000-0000-0000-00000000000b', 'Globex', 'globex');

insert into public.projects (organization_id, name) values
    ('00000000-0000-0000-0000-00000000000a', 'Acme launch'),
    ('00000000-0000-0000-0000-00000000000a', 'Acme ops'),
    ('00000000-0000-0000-0000-00000000000b', 'Globex roadmap');
