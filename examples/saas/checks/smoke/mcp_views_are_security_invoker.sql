-- Every mcp view runs with the caller's rights, so RLS applies through it.
-- expect: rows = 0
select c.relname
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where n.nspname = 'mcp' and c.relkind = 'v'
  and not coalesce('security_invoker=true' = any(c.reloptions), false)
