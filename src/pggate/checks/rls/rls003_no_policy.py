from __future__ import annotations

from typing import Any

from ...results import Severity
from ..base import QueryCheck
from ..context import CheckContext


class RlsNoPolicy(QueryCheck):
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
    verified = "every table with row-level security has a policy"
    message = "{name} has RLS enabled but no policy: every row is denied"
    hint = "add policies for the commands the API needs (select, insert, update, delete)"

    def rows(self, ctx: CheckContext) -> list[dict[str, Any]]:
        # From what the context reads anyway: the tables (one pass over pg_class) and the
        # policies of the same tables.
        with_policies = {p["name"] for p in ctx.policies()}
        return [
            {"name": t.qualified}
            for t in ctx.table_security()
            if t.rls and (t.reachable or t.tenant) and t.qualified not in with_policies
        ]
