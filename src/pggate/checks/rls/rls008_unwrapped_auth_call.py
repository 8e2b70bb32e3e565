from __future__ import annotations

from functools import lru_cache
from typing import Any

from ...results import Severity
from ..base import QueryCheck
from ..context import CheckContext
from ._truth import function_calls, parse_expression

# Which of the called functions are not immutable (so not folded by the planner), by name.
_VOLATILITY = """
select n.nspname as schema, p.proname as name, bool_and(p.provolatile <> 'i') as per_row
from pg_proc p join pg_namespace n on n.oid = p.pronamespace
where p.proname = any(%(names)s)
group by 1, 2
"""


class UnwrappedAuthCall(QueryCheck):
    """Policy calling ``auth.uid()``, ``current_setting()`` or another stable function per row.

    **Problem**: a function call in a policy is evaluated for every row scanned unless it is
    immutable; wrapped in a scalar subquery, ``(select auth.uid())``, PostgreSQL evaluates
    it once per statement (an initPlan). On large tables the difference is orders of
    magnitude (Supabase's own advice). Reported for calls outside any subquery whose
    arguments reference no column (those can be wrapped) and whose function is stable or
    volatile (``auth.*()``, ``current_setting()``, ``now()``, your own helpers).

    **Fix**::

        alter policy tasks_select on public.tasks
            using (owner_id = (select auth.uid()));
    """

    id = "RLS008"
    gate = "rls"
    severity = Severity.WARNING
    verified = "every policy evaluates its stable calls (`auth.uid()`, `current_setting()`) once per statement"
    message = "policy {policy} on {name} calls {calls} once per row"
    hint = "wrap each call in a scalar subquery: (select auth.uid())"
    details = ("policy",)

    def rows(self, ctx: CheckContext) -> list[dict[str, Any]]:
        candidates = []
        names: set[str] = set()
        for policy in ctx.policies():
            if not policy["api"]:
                continue
            calls = _bare_calls(policy["using_expr"]) + _bare_calls(policy["check_expr"])
            if calls:
                candidates.append((policy, calls))
                names.update(name for _, name in calls)
        if not candidates:
            return []
        volatility = ctx.conn.execute(_VOLATILITY, {"names": sorted(names)}).fetchall()
        per_row = {(v["schema"], v["name"]): v["per_row"] for v in volatility}
        by_name: dict[str, bool] = {}
        for (_, name), flag in per_row.items():
            by_name[name] = by_name.get(name, True) and flag
        rows = []
        for policy, calls in candidates:
            stable = [
                f"{schema}.{name}()" if schema else f"{name}()"
                for schema, name in dict.fromkeys(calls)
                if (per_row.get((schema, name)) if schema else by_name.get(name))
            ]
            if stable:
                rows.append({**policy, "calls": ", ".join(stable)})
        return rows


@lru_cache(maxsize=4096)
def _bare_calls(text: str) -> tuple[tuple[str, str], ...]:
    """(schema or '', name) of calls outside subqueries whose arguments reference no column."""
    if "(" not in text:
        return ()
    node = parse_expression(text)  # None: syntax pglast does not know, nothing to say
    return tuple(function_calls(node, bare=True)) if node is not None else ()
