from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ...results import Finding, Severity
from ..base import Check
from ..context import CheckContext


class DefinerWithoutSearchPath(Check):
    """SECURITY DEFINER function in an exposed schema without a fixed ``search_path``.

    **Problem**: the function runs with its owner's rights but resolves names through the
    caller's ``search_path``. A caller who can create objects in any schema on that path can
    shadow a table or operator and run code as the owner.

    **Fix**::

        alter function public.is_member(uuid) set search_path = '';   -- and qualify every name
    """

    id = "FUNC001"
    gate = "functions"
    severity = Severity.ERROR
    query = """
        select format('%%I.%%I(%%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)) as name
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where p.prosecdef and n.nspname = any(%(exposed_schemas)s)
          and not exists (select 1 from unnest(coalesce(p.proconfig, '{}')) c where c like 'search_path=%%')
        order by 1
    """

    def findings(self, ctx: CheckContext, rows: list[dict[str, Any]]) -> Iterable[Finding]:
        for row in rows:
            yield self.finding(
                row["name"],
                f"SECURITY DEFINER function {row['name']} has no fixed search_path",
                f"alter function {row['name']} set search_path = '' (and schema-qualify its names)",
            )
