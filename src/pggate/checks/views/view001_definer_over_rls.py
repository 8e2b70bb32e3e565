from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ...results import Finding, Severity
from ..context import CheckContext
from ._base import ViewCheck


class DefinerViewOverRls(ViewCheck):
    """View in an exposed schema that runs with its owner's rights over a table with RLS.

    **Problem**: a view without ``security_invoker`` reads its tables as the view's owner.
    When that owner bypasses RLS (a superuser, a BYPASSRLS role, or the table's owner on a
    table without FORCE ROW LEVEL SECURITY), every API user reading the view sees every
    tenant's rows (error). Otherwise the owner's policies, not the caller's, apply (warning).
    The tables are found through the view's rewrite rule dependencies, not by reading text.

    **Fix** (PostgreSQL 15+)::

        alter view public.task_list set (security_invoker = true);
    """

    id = "VIEW001"
    gate = "views"
    severity = Severity.WARNING
    kinds = ("v",)
    # Driven by the exposed views (usually few, by oid): each view's RLS tables are aggregated
    # in a lateral subquery, so the planner cannot start from every RLS table and probe
    # pg_depend for each (which it does when pg_class statistics are stale, after a migration).
    query = """
        select format('%%I.%%I', vn.nspname, v.relname) as view, rls.tables, rls.bypasses
        from pg_class v
        join pg_namespace vn on vn.oid = v.relnamespace
        join pg_roles o on o.oid = v.relowner
        cross join lateral (
            select string_agg(distinct format('%%I.%%I', tn.nspname, t.relname), ', ') as tables,
                   bool_or(o.rolsuper or o.rolbypassrls
                           or (t.relowner = v.relowner and not t.relforcerowsecurity)) as bypasses
            from pg_rewrite r
            join pg_depend d on d.classid = 'pg_rewrite'::regclass and d.objid = r.oid
                            and d.refclassid = 'pg_class'::regclass
            join pg_class t on t.oid = d.refobjid and t.oid <> v.oid and t.relkind in ('r', 'p')
            join pg_namespace tn on tn.oid = t.relnamespace
            where r.ev_class = v.oid and t.relrowsecurity
        ) as rls
        where v.oid = any(%(view_oids)s::oid[]) and rls.tables is not null
          and not coalesce(array_to_string(v.reloptions, ',') ~* 'security_invoker=(true|on|1|yes)', false)
        order by 1
    """

    def findings(self, ctx: CheckContext, rows: list[dict[str, Any]]) -> Iterable[Finding]:
        for row in rows:
            bypass = row["bypasses"]
            message = f"view {row['view']} reads {row['tables']} with its owner's rights" + (
                ", and the owner bypasses their RLS: every tenant's rows are visible"
                if bypass
                else ""
            )
            yield self.finding(
                row["view"],
                message,
                f"alter view {row['view']} set (security_invoker = true)",
                severity=Severity.ERROR if bypass else Severity.WARNING,
                tables=row["tables"],
            )
