from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ...results import Finding, Severity
from ..base import Check
from ..context import CheckContext


class ForeignTableExposed(Check):
    """Foreign table in an exposed schema that the API roles can reach.

    **Problem**: a foreign table (``postgres_fdw``, a Supabase wrapper) cannot have
    row-level security, so whatever an API role is granted on it applies to every row of
    the remote data. Reported when an API role holds a privilege on it (every foreign table
    of a schema named in ``[tenancy] exposed_schemas`` counts).

    **Fix**: move it to a schema the API does not serve and expose what is needed through a
    view with ``security_invoker`` over a table with RLS, or a function that checks the
    caller; or revoke it::

        revoke all on public.remote_orders from anon, authenticated;
    """

    id = "RLS016"
    gate = "rls"
    severity = Severity.ERROR
    verified = "no foreign table in an exposed schema is reachable by the API roles"
    query = """
        select format('%%I.%%I', n.nspname, c.relname) as name,
               array(select r.rolname from pg_roles r where r.oid = any(%(api_role_oids)s::oid[])
                       and has_table_privilege(r.oid, c.oid, 'SELECT, INSERT, UPDATE, DELETE')
                     order by 1) as roles
        from pg_foreign_table f  -- a row per foreign table: no scan of every relation
        join pg_class c on c.oid = f.ftrelid join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = any(%(exposed_schemas)s)
        order by 1
    """

    def findings(self, ctx: CheckContext, rows: list[dict[str, Any]]) -> Iterable[Finding]:
        explicit = ctx.exposure().explicit
        for row in rows:
            if not (row["roles"] or explicit):
                continue
            who = ", ".join(row["roles"]) or "the API roles"
            yield self.finding(
                row["name"],
                f"foreign table {row['name']} is reachable by {who} and cannot have RLS: "
                "every remote row is exposed",
                f"move {row['name']} out of the exposed schemas, or revoke it from {who}",
            )
