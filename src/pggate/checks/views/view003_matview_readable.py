from __future__ import annotations

from ...results import Severity
from ._base import ViewCheck


class MaterializedViewReadable(ViewCheck):
    """Materialized view in an exposed schema that API roles can read.

    **Problem**: a materialized view is a stored copy of its query's rows, and row-level
    security does not apply to it: ``anon``, the actor role or ``public`` reading it see the
    rows of every tenant that were there when it was refreshed. A grant to a role they are
    members of counts too, as it does for PostgreSQL.

    **Fix**: move it to a schema the API cannot reach, or revoke reading it::

        revoke select on public.task_counts from anon, authenticated;
    """

    id = "VIEW003"
    gate = "views"
    severity = Severity.WARNING
    verified = "no materialized view in an exposed schema is readable by API roles"
    kinds = ("m",)
    query = """
        select format('%%I.%%I', n.nspname, c.relname) as name,
               string_agg(distinct case when a.grantee = 0 then 'public' else pg_get_userbyid(a.grantee) end, ', ') as roles
        from pg_class c join pg_namespace n on n.oid = c.relnamespace,
             aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) a
        where c.oid = any(%(view_oids)s::oid[]) and a.privilege_type = 'SELECT'
          and (a.grantee = 0 or exists (
                select 1 from pg_roles r
                where r.rolname = any(array['anon'] || %(actor_roles)s::text[])
                  and pg_has_role(r.oid, a.grantee, 'USAGE')))
        group by 1
        order by 1
    """

    message = "materialized view {name} (no RLS) is readable by {roles}"
    hint = "revoke select on {name} from {roles}, or move it out of the exposed schemas"  # noqa: S608
