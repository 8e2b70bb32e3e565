from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ...results import Finding, Severity
from ..base import Check
from ..context import CheckContext
from .func001_definer_search_path import MUTABLE_SEARCH_PATH


class InvokerWithoutSearchPath(Check):
    """Function in an exposed schema (SECURITY INVOKER) without a fixed ``search_path``.

    **Problem**: the function resolves the names in its body through the caller's
    ``search_path``, so what it does depends on who calls it and how their session is set:
    a caller, or a role the function is run as by a trigger or a view, can make it pick up
    a look-alike table or function from another schema. Less grave than on a SECURITY
    DEFINER function (FUNC001), since it runs with the caller's own rights. Functions an
    extension owns are the extension's and not reported.

    **Fix**::

        alter function public.touch_updated_at() set search_path = '';  -- and qualify every name
    """

    id = "FUNC003"
    gate = "functions"
    severity = Severity.WARNING
    verified = "every SECURITY INVOKER function in an exposed schema pins its `search_path`"

    def rows(self, ctx: CheckContext) -> list[dict[str, Any]]:
        params = {**ctx.params(), "definer": False}
        return ctx.conn.execute(MUTABLE_SEARCH_PATH, params).fetchall()

    def findings(self, ctx: CheckContext, rows: list[dict[str, Any]]) -> Iterable[Finding]:
        for row in rows:
            yield self.finding(
                row["name"],
                f"function {row['name']} resolves names through the caller's search_path",
                f"alter function {row['name']} set search_path = '' (and schema-qualify its names)",
            )
