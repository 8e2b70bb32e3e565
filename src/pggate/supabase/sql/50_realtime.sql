-- Realtime listens to this publication; migrations add their tables to it.
do $shim$
begin
    if not exists (select 1 from pg_publication where pubname = 'supabase_realtime') then
        create publication supabase_realtime;
    end if;
end
$shim$;
