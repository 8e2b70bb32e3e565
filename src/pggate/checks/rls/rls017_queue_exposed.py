from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ...results import Finding, Severity
from ..base import Check
from ..context import CheckContext


class QueueExposed(Check):
    """pgmq queue table without RLS that the API roles can reach.

    **Problem**: Supabase Queues keep each queue in ``pgmq.q_<name>`` (and its archive in
    ``pgmq.a_<name>``). Once the API roles are granted them (exposing queues to PostgREST,
    or grants made by hand) without RLS, any user can read, take or delete every message of
    every queue. Reported when ``anon`` or ``authenticated`` (or the actor role) holds a
    privilege on a queue table whose RLS is disabled; ``pgmq`` being a Supabase schema, the
    grants, not the exposed schemas, decide.

    **Fix**: enable RLS on the queue tables and add policies, or revoke them::

        alter table pgmq.q_emails enable row level security;
    """

    id = "RLS017"
    gate = "rls"
    severity = Severity.ERROR
    verified = "no pgmq queue table without RLS is reachable by the API roles"
    query = """
        select format('%%I.%%I', n.nspname, c.relname) as name,
               array(select r.rolname from pg_roles r where r.oid = any(%(api_role_oids)s::oid[])
                       and has_table_privilege(r.oid, c.oid, 'SELECT, INSERT, UPDATE, DELETE')
                     order by 1) as roles
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'pgmq' and c.relkind in ('r', 'p') and not c.relispartition
          and (c.relname like 'q\\_%%' or c.relname like 'a\\_%%') and not c.relrowsecurity
        order by 1
    """

    def rows(self, ctx: CheckContext) -> list[dict[str, Any]]:
        present = ctx.conn.execute("select to_regnamespace('pgmq') is not null as present")
        if not present.fetchone()["present"]:  # type: ignore[index]
            return []  # no queues: no need to read pg_class
        return super().rows(ctx)

    def findings(self, ctx: CheckContext, rows: list[dict[str, Any]]) -> Iterable[Finding]:
        for row in rows:
            if not row["roles"]:
                continue
            roles = ", ".join(row["roles"])
            yield self.finding(
                row["name"],
                f"queue table {row['name']} has RLS disabled and is reachable by {roles}: "
                "every message of the queue can be read or removed",
                f"alter table {row['name']} enable row level security (and add policies), or "
                f"revoke it from {roles}",
            )
