-- Supabase's roles, as its postgres image defines them (supabase/postgres, migrations/db/init-scripts).
-- Roles are cluster-wide: each is created only when missing, never altered, so a developer's own
-- server keeps whatever it already configured. Two databases installing at once may race on
-- pg_authid: both duplicate_object and unique_violation mean "someone else created it".
do $shim$
declare
    spec record;
begin
    for spec in
        select * from (values
            ('anon',                      'nologin noinherit'),
            ('authenticated',             'nologin noinherit'),
            ('service_role',              'nologin noinherit bypassrls'),
            ('authenticator',             'login noinherit'),
            ('supabase_admin',            'login superuser createdb createrole replication bypassrls'),
            ('supabase_auth_admin',       'login noinherit createrole'),
            ('supabase_storage_admin',    'login noinherit createrole'),
            ('supabase_functions_admin',  'login noinherit createrole'),
            ('supabase_realtime_admin',   'nologin noinherit'),
            ('supabase_replication_admin','login replication'),
            ('supabase_read_only_user',   'login bypassrls'),
            ('dashboard_user',            'nologin createdb createrole replication'),
            ('pgbouncer',                 'login')
        ) as r(name, options)
    loop
        if not exists (select 1 from pg_roles where rolname = spec.name) then
            begin
                execute format('create role %I %s', spec.name, spec.options);
            exception when duplicate_object or unique_violation then
                null;
            end;
        end if;
    end loop;
end
$shim$;

-- PostgREST's authenticator switches to the API roles.
grant anon, authenticated, service_role to authenticator;
grant pg_read_all_data to supabase_read_only_user;
