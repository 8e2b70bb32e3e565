from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ...results import Finding, Severity
from ..base import Check
from ..context import CheckContext


class RlsNotForced(Check):
    """Tenant table with RLS enabled but not forced.

    **Problem**: without ``FORCE ROW LEVEL SECURITY`` the table's owner bypasses every policy.
    Views owned by that role, and functions running as it, see all tenants' rows.

    **Fix**::

        alter table public.invoices force row level security;
    """

    id = "RLS002"
    gate = "rls"
    severity = Severity.WARNING

    def rows(self, ctx: CheckContext) -> list[dict[str, Any]]:
        # From the tables query the context runs anyway (one pass over pg_class).
        return [
            {"name": t.qualified, "owner": t.owner}
            for t in ctx.table_security()
            if t.tenant and t.rls and not t.forced
        ]

    def findings(self, ctx: CheckContext, rows: list[dict[str, Any]]) -> Iterable[Finding]:
        for row in rows:
            yield self.finding(
                row["name"],
                f"RLS on {row['name']} is not forced: its owner {row['owner']} bypasses it",
                f"alter table {row['name']} force row level security",
            )
