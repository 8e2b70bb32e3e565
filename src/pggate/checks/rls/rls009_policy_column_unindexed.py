from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ...results import Finding, Severity
from ..base import Check
from ..context import CheckContext


class PolicyColumnUnindexed(Check):
    """Column a tenant table's policy filters on, with no index leading with it.

    **Problem**: every query through the API adds the policy's condition; without an index on
    the column it tests (usually the tenant column), each one scans the whole table.
    Columns are found through the policies' ``pg_depend`` dependencies.

    **Fix**::

        create index concurrently tasks_organization_id_idx on public.tasks (organization_id);
    """

    id = "RLS009"
    gate = "rls"
    severity = Severity.WARNING
    # Policies first (materialized), then their column dependencies by the depender index:
    # letting the planner start from pg_depend scans all of it.
    query = """
        with pol as materialized (
            select p.oid, p.polrelid from pg_policy p where p.polrelid = any(%(tenant_oids)s::oid[])
        )
        select distinct format('%%I.%%I.%%I', n.nspname, c.relname, a.attname) as name,
               format('%%I.%%I', n.nspname, c.relname) as table_name, a.attname as column_name
        from pol
        join pg_depend d on d.classid = 'pg_policy'::regclass and d.objid = pol.oid
                        and d.refclassid = 'pg_class'::regclass and d.refobjid = pol.polrelid
                        and d.refobjsubid > 0
        join pg_class c on c.oid = pol.polrelid
        join pg_namespace n on n.oid = c.relnamespace
        join pg_attribute a on a.attrelid = c.oid and a.attnum = d.refobjsubid
        where not exists (select 1 from pg_index i where i.indrelid = c.oid and i.indkey[0] = a.attnum)
        order by 1
    """

    def findings(self, ctx: CheckContext, rows: list[dict[str, Any]]) -> Iterable[Finding]:
        for row in rows:
            yield self.finding(
                row["name"], f"policies on {row['table_name']} filter on {row['column_name']}, which no index leads with",
                f"create index concurrently on {row['table_name']} ({row['column_name']})",
            )  # fmt: skip
