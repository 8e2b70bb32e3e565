from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ...results import Finding, Severity
from ..context import CheckContext
from ._base import ViewCheck


class DefinerView(ViewCheck):
    """View in an exposed schema that runs with its owner's rights.

    **Problem**: a view without ``security_invoker`` reads its tables as the view's owner,
    so the caller's privileges and RLS do not apply to what it reads. It is an error when
    that exposes rows: the owner bypasses the RLS of a table it reads (a superuser, a
    BYPASSRLS role, or the table's owner on a table without FORCE ROW LEVEL SECURITY), or it
    reads a table without RLS that the API roles could not read themselves (a table in a
    private schema, or one they hold no SELECT on): every row of it is then visible through
    the view. Any other owner-rights view the API can read is a warning: the owner's
    policies, not the caller's, apply. The tables are found through the view's rewrite rule
    dependencies, not by reading text. Tables of the ``auth`` schema are VIEW004's.

    **Fix** (PostgreSQL 15+)::

        alter view public.task_list set (security_invoker = true);
    """

    id = "VIEW001"
    gate = "views"
    severity = Severity.WARNING
    verified = "every view the API can read in an exposed schema runs with the caller's rights"
    kinds = ("v",)
    # Driven by the exposed views (usually few, by oid): each view's tables are aggregated
    # in a lateral subquery, so the planner cannot start from every table and probe
    # pg_depend for each (which it does when pg_class statistics are stale, after a migration).
    # A view the API roles cannot select is not reported; with exposed schemas named in the
    # project file every view there counts as readable and only a table outside them counts
    # as private (which roles exist on the server must not change the answer).
    query = """
        select format('%%I.%%I', vn.nspname, v.relname) as view, dep.tables, dep.bypassed, dep.private
        from pg_class v
        join pg_namespace vn on vn.oid = v.relnamespace
        join pg_roles o on o.oid = v.relowner
        cross join lateral (
            select string_agg(distinct format('%%I.%%I', tn.nspname, t.relname), ', ') as tables,
                   string_agg(distinct format('%%I.%%I', tn.nspname, t.relname), ', ') filter (
                       where t.relrowsecurity
                         and (o.rolsuper or o.rolbypassrls
                              or (t.relowner = v.relowner and not t.relforcerowsecurity))) as bypassed,
                   string_agg(distinct format('%%I.%%I', tn.nspname, t.relname), ', ') filter (
                       where not t.relrowsecurity and t.relkind in ('r', 'p')
                         and tn.nspname <> all(%(managed)s)
                         and (tn.nspname <> all(%(exposed_schemas)s)
                              or (not %(exposure_explicit)s
                                  and not exists (select 1 from unnest(%(api_role_oids)s::oid[]) a(oid)
                                                  where has_table_privilege(a.oid, t.oid, 'SELECT'))))) as private
            from pg_rewrite r
            join pg_depend d on d.classid = 'pg_rewrite'::regclass and d.objid = r.oid
                            and d.refclassid = 'pg_class'::regclass
            join pg_class t on t.oid = d.refobjid and t.oid <> v.oid and t.relkind in ('r', 'p', 'v', 'm', 'f')
            join pg_namespace tn on tn.oid = t.relnamespace
            where r.ev_class = v.oid and tn.nspname <> 'auth'  -- VIEW004's
        ) as dep
        where v.oid = any(%(view_oids)s::oid[]) and dep.tables is not null
          and not coalesce(array_to_string(v.reloptions, ',') ~* 'security_invoker=(true|on|1|yes)', false)
          and (%(exposure_explicit)s
               or exists (select 1 from unnest(%(api_role_oids)s::oid[]) a(oid)
                          where has_table_privilege(a.oid, v.oid, 'SELECT')))
        order by 1
    """

    def findings(self, ctx: CheckContext, rows: list[dict[str, Any]]) -> Iterable[Finding]:
        for row in rows:
            view, hint = row["view"], f"alter view {row['view']} set (security_invoker = true)"
            if row["bypassed"]:
                message = (
                    f"view {view} reads {row['bypassed']} with its owner's rights, and the owner "
                    "bypasses their RLS: every tenant's rows are visible"
                )
            elif row["private"]:
                message = (
                    f"view {view} reads {row['private']} (no RLS, not readable by the API roles "
                    "themselves) with its owner's rights: every row of it is visible"
                )
            else:
                yield self.finding(
                    view,
                    f"view {view} reads {row['tables']} with its owner's rights: the owner's "
                    "privileges and policies apply, not the caller's",
                    hint,
                    tables=row["tables"],
                )
                continue
            yield self.finding(view, message, hint, severity=Severity.ERROR, tables=row["tables"])
