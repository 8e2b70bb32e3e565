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

    def rows(self, ctx: CheckContext) -> list[dict[str, Any]]:
        # From the tables query the context runs anyway (one pass over pg_class).
        return [
            {"name": t.qualified, "tenant_scoped": t.tenant}
            for t in ctx.table_security()
            if t.exposed and not t.rls
        ]

    def findings(self, ctx: CheckContext, rows: list[dict[str, Any]]) -> Iterable[Finding]:
        for row in rows:
            scope = "tenant-scoped table" if row["tenant_scoped"] else "table in an exposed schema"
            yield self.finding(
                row["name"],
                f"{scope} {row['name']} has row-level security disabled",
                f"alter table {row['name']} enable row level security; then add policies",
            )
