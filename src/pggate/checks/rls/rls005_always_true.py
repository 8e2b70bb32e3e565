from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from ...results import Finding, Severity
from ..base import Check
from ..context import CheckContext


class AlwaysTruePolicy(Check):
    """Permissive policy on a tenant table whose USING or WITH CHECK is always true.

    **Problem**: permissive policies are OR-ed together, so one ``using (true)`` (or
    ``with check (true)``) opens the table to every tenant, whatever the other policies say.

    **Fix**: scope the policy to the user's tenant, or make it ``as restrictive`` if it is
    meant as an extra condition::

        alter policy tasks_select on public.tasks
            using (organization_id in (select private.my_organizations()));
    """

    id = "RLS005"
    gate = "rls"
    severity = Severity.ERROR

    def rows(self, ctx: CheckContext) -> list[dict[str, Any]]:
        return [
            p
            for p in ctx.policies()
            if p["tenant_scoped"]
            and p["permissive"]
            and (_is_true(p["using_expr"]) or _is_true(p["check_expr"]))
        ]

    def findings(self, ctx: CheckContext, rows: list[dict[str, Any]]) -> Iterable[Finding]:
        for row in rows:
            clause = (
                "USING"
                if (row["using_expr"] or "").strip("() ").lower() == "true"
                else "WITH CHECK"
            )
            yield self.finding(
                row["name"],
                f"policy {row['policy']} on {row['name']} has {clause} (true): "
                "every tenant's rows pass it",
                f"scope {row['policy']} to the user's tenant, or make it AS RESTRICTIVE",
                policy=row["policy"],
            )


@lru_cache(maxsize=4096)
def _is_true(expression: str) -> bool:
    """Cached: many policies share their text."""
    return expression.strip("() ").lower() == "true"
