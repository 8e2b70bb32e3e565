from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ...results import Finding, Severity
from ..base import Check
from ..context import CheckContext


class PoliciesWithoutRls(Check):
    """Table with policies while row-level security is disabled on it.

    **Problem**: policies do nothing until RLS is enabled on their table. Someone wrote
    them meaning to restrict rows, and every row is still reachable by whoever holds a
    privilege on the table: often an ``enable row level security`` left out, or undone by a
    rollback. An error in an exposed schema, a warning elsewhere. Read from pg_policy for
    every schema but the system's and Supabase's own.

    **Fix**::

        alter table public.invoices enable row level security;
    """

    id = "RLS014"
    gate = "rls"
    severity = Severity.ERROR
    verified = "every table with policies has row-level security enabled"
    query = """
        select format('%%I.%%I', n.nspname, c.relname) as name, n.nspname = any(%(exposed_schemas)s) as exposed,
               string_agg(p.polname, ', ' order by p.polname) as policies
        from pg_policy p
        join pg_class c on c.oid = p.polrelid and not c.relrowsecurity
        join pg_namespace n on n.oid = c.relnamespace
        where n.nspname <> all(%(managed)s) and n.nspname !~ '^pg_' and n.nspname <> 'information_schema'
        group by 1, 2
        order by 1
    """

    def findings(self, ctx: CheckContext, rows: list[dict[str, Any]]) -> Iterable[Finding]:
        for row in rows:
            yield self.finding(
                row["name"],
                f"{row['name']} has policies ({row['policies']}) but row-level security is "
                "disabled: they do nothing",
                f"alter table {row['name']} enable row level security",
                severity=Severity.ERROR if row["exposed"] else Severity.WARNING,
            )
