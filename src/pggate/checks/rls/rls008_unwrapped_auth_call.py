from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ...results import Finding, Severity
from ..base import Check
from ..context import CheckContext


class UnwrappedAuthCall(Check):
    """Policy calling ``auth.uid()``/``auth.jwt()`` directly instead of ``(select auth.uid())``.

    **Problem**: a bare function call in a policy is evaluated for every row scanned; wrapped
    in a scalar subquery, PostgreSQL evaluates it once per statement (an initPlan). On large
    tables the difference is orders of magnitude (Supabase's own advice).

    **Fix**::

        alter policy tasks_select on public.tasks
            using (owner_id = (select auth.uid()));
    """

    id = "RLS008"
    gate = "rls"
    severity = Severity.WARNING
    query = """
        select format('%%I.%%I', n.nspname, c.relname) as name, p.polname as policy
        from pg_policy p join pg_class c on c.oid = p.polrelid
        join pg_namespace n on n.oid = c.relnamespace,
        lateral (select coalesce(pg_get_expr(p.polqual, p.polrelid), '') || ' '
                        || coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '') as text) e
        where (c.oid = any(%(tenant_oids)s::oid[]) or c.oid = any(%(exposed_oids)s::oid[]))
          and (select count(*) from regexp_matches(e.text, 'auth\\.(uid|jwt|role|email)\\(\\)', 'g'))
            > (select count(*) from regexp_matches(e.text, 'SELECT auth\\.(uid|jwt|role|email)\\(\\)', 'gi'))
        order by 1, 2
    """

    def findings(self, ctx: CheckContext, rows: list[dict[str, Any]]) -> Iterable[Finding]:
        for row in rows:
            yield self.finding(
                row["name"], f"policy {row['policy']} on {row['name']} calls auth.*() once per row",
                "wrap the call: (select auth.uid())", policy=row["policy"],
            )  # fmt: skip
