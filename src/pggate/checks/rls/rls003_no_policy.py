from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ...results import Finding, Severity
from ..base import Check
from ..context import CheckContext


class RlsNoPolicy(Check):
    """Tenant-scoped (or exposed) table with RLS enabled and no policy at all.

    **Problem**: RLS with no policy denies every row to every non-owner role. The table is
    safe but unusable through the API: usually a policy that was forgotten or dropped.

    **Fix**: add a policy per command, for example::

        create policy invoices_select on public.invoices for select
            using (organization_id in (select organization_id from memberships
                                       where user_id = (select auth.uid())));
    """

    id = "RLS003"
    gate = "rls"
    severity = Severity.WARNING
    query = """
        select format('%%I.%%I', n.nspname, c.relname) as name
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where (c.oid = any(%(tenant_oids)s::oid[]) or c.oid = any(%(exposed_oids)s::oid[]))
          and c.relrowsecurity
          and not exists (select 1 from pg_policy p where p.polrelid = c.oid)
        order by 1
    """

    def findings(self, ctx: CheckContext, rows: list[dict[str, Any]]) -> Iterable[Finding]:
        for row in rows:
            yield self.finding(
                row["name"], f"{row['name']} has RLS enabled but no policy: every row is denied",
                "add policies for the commands the API needs (select, insert, update, delete)",
            )  # fmt: skip
