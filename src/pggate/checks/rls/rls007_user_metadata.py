from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ...results import Finding, Severity
from ..base import Check
from ..context import CheckContext


class TrustsUserMetadata(Check):
    """Policy that trusts ``user_metadata`` from the JWT.

    **Problem**: in Supabase, ``user_metadata`` (``raw_user_meta_data``) is editable by the
    user through ``auth.updateUser()``. A policy that reads a tenant or role from it lets any
    user put themselves into any tenant.

    **Fix**: read tenancy from your own tables (a memberships table) or from
    ``app_metadata``, which only the service role can change.
    """

    id = "RLS007"
    gate = "rls"
    severity = Severity.ERROR
    query = """
        select format('%%I.%%I', n.nspname, c.relname) as name, p.polname as policy
        from pg_policy p join pg_class c on c.oid = p.polrelid
        join pg_namespace n on n.oid = c.relnamespace
        where (c.oid = any(%(tenant_oids)s::oid[]) or c.oid = any(%(exposed_oids)s::oid[]))
          and (coalesce(pg_get_expr(p.polqual, p.polrelid), '') ~* 'user_meta_?data'
               or coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '') ~* 'user_meta_?data')
        order by 1, 2
    """

    def findings(self, ctx: CheckContext, rows: list[dict[str, Any]]) -> Iterable[Finding]:
        for row in rows:
            yield self.finding(
                row["name"], f"policy {row['policy']} on {row['name']} reads user_metadata, "
                "which the user can edit", "use a memberships table or app_metadata instead",
                policy=row["policy"],
            )  # fmt: skip
