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

    A warning when the owner is an ordinary role; info when the owner is a superuser or has
    BYPASSRLS (``postgres`` on Supabase), which bypasses RLS whether forced or not, so forcing
    changes nothing for it (the views and functions it owns are VIEW001's and FUNC002's).

    **Fix**::

        alter table public.invoices force row level security;
    """

    id = "RLS002"
    gate = "rls"
    severity = Severity.WARNING
    verified = "every tenant table forces row-level security"

    def rows(self, ctx: CheckContext) -> list[dict[str, Any]]:
        # From the tables query the context runs anyway (one pass over pg_class).
        return [
            {
                "name": t.qualified,
                "owner": t.owner,
                "owner_bypasses": t.owner_oid in ctx.exposure().bypass_oids,
            }
            for t in ctx.table_security()
            if t.tenant and t.rls and not t.forced
        ]

    def findings(self, ctx: CheckContext, rows: list[dict[str, Any]]) -> Iterable[Finding]:
        for row in rows:
            if row["owner_bypasses"]:
                yield self.finding(
                    row["name"],
                    f"RLS on {row['name']} is not forced, which is moot: its owner "
                    f"{row['owner']} is a superuser or BYPASSRLS role and bypasses RLS anyway",
                    f"own {row['name']} by an ordinary role if its views or functions should "
                    "be subject to RLS",
                    severity=Severity.INFO,
                )
                continue
            yield self.finding(
                row["name"],
                f"RLS on {row['name']} is not forced: its owner {row['owner']} bypasses it",
                f"alter table {row['name']} force row level security",
            )
