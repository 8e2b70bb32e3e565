from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from ...results import Finding, Severity
from ..base import Check
from ..context import CheckContext

AUTH_CALL = re.compile(r"auth\.(uid|jwt|role|email)\(\)")
WRAPPED_AUTH_CALL = re.compile(r"SELECT auth\.(uid|jwt|role|email)\(\)", re.IGNORECASE)


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

    def rows(self, ctx: CheckContext) -> list[dict[str, Any]]:
        return [p for p in ctx.policies() if _unwrapped(p["using_expr"] + " " + p["check_expr"])]

    def findings(self, ctx: CheckContext, rows: list[dict[str, Any]]) -> Iterable[Finding]:
        for row in rows:
            yield self.finding(
                row["name"],
                f"policy {row['policy']} on {row['name']} calls auth.*() once per row",
                "wrap the call: (select auth.uid())",
                policy=row["policy"],
            )


@lru_cache(maxsize=4096)
def _unwrapped(text: str) -> bool:
    """More ``auth.*()`` calls than wrapped ones. Cached: many policies share their text."""
    return len(AUTH_CALL.findall(text)) > len(WRAPPED_AUTH_CALL.findall(text))
