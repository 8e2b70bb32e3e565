from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ...results import Finding, Severity
from ..base import Check
from ..context import CheckContext


class RlsDisabled(Check):
    """Table in an exposed schema without row-level security.

    **Problem**: API roles (``anon``, ``authenticated``) can reach every table in an exposed
    schema. Without RLS, whatever they are granted on it applies to every row: every tenant's
    data is readable (and writable) by every user.

    **Fix**: enable RLS and add policies, or move the table out of the exposed schemas::

        alter table public.invoices enable row level security;
        alter table public.invoices force row level security;
    """

    id = "RLS001"
    gate = "rls"
    severity = Severity.ERROR
    query = """
        select format('%%I.%%I', n.nspname, c.relname) as name,
               c.oid = any(%(tenant_oids)s::oid[]) as tenant_scoped
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.oid = any(%(exposed_oids)s::oid[]) and not c.relrowsecurity
        order by 1
    """

    def findings(self, ctx: CheckContext, rows: list[dict[str, Any]]) -> Iterable[Finding]:
        for row in rows:
            scope = "tenant-scoped table" if row["tenant_scoped"] else "table in an exposed schema"
            yield self.finding(
                row["name"], f"{scope} {row['name']} has row-level security disabled",
                f"alter table {row['name']} enable row level security; then add policies",
            )  # fmt: skip
