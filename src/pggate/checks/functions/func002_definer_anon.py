from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ...results import Finding, Severity
from ..base import Check
from ..context import CheckContext


class DefinerExecutableByAnon(Check):
    """SECURITY DEFINER function in an exposed schema that ``anon`` (or everyone) can execute.

    **Problem**: PostgreSQL grants EXECUTE to PUBLIC by default, so an owner-rights function
    in an exposed schema is callable by unauthenticated API users unless revoked. It is a
    door around RLS for anyone on the internet.

    **Fix**::

        revoke execute on function public.admin_stats() from public, anon;
        grant execute on function public.admin_stats() to authenticated;
    """

    id = "FUNC002"
    gate = "functions"
    severity = Severity.WARNING
    query = """
        select format('%%I.%%I(%%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)) as name
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where p.prosecdef and n.nspname = any(%(exposed_schemas)s)
          and (p.proacl is null
               or exists (select 1 from aclexplode(p.proacl) a
                          where a.privilege_type = 'EXECUTE'
                            and (a.grantee = 0 or a.grantee = (select oid from pg_roles where rolname = 'anon'))))
        order by 1
    """

    def findings(self, ctx: CheckContext, rows: list[dict[str, Any]]) -> Iterable[Finding]:
        for row in rows:
            yield self.finding(
                row["name"],
                f"SECURITY DEFINER function {row['name']} is executable by anon/public",
                f"revoke execute on function {row['name']} from public, anon",
            )
