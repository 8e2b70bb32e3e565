from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ...results import Finding, Severity
from ..base import Check
from ..context import CheckContext


class NoPrimaryKey(Check):
    """Table of the project without a primary key.

    **Problem**: without a primary key a row has no stable identity: PostgREST cannot
    update or delete one row by key, logical replication (Supabase Realtime, read replicas,
    upgrades through replication) cannot replicate its updates and deletes, and duplicates
    creep in. Partitions are judged by their parent; extension-owned tables and the
    system's and Supabase's schemas are not the project's.

    **Fix**::

        alter table public.events add primary key (id);
    """

    id = "SCH001"
    gate = "schema"
    severity = Severity.WARNING
    verified = "every table of the project has a primary key"
    query = """
        select format('%%I.%%I', n.nspname, c.relname) as name
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relkind in ('r', 'p') and not c.relispartition
          and n.nspname <> all(%(not_project_schemas)s) and n.nspname !~ '^pg_'
          and n.nspname <> 'information_schema'
          and c.oid <> all(%(pggate_oids)s::oid[])
          and not exists (select 1 from pg_index i where i.indrelid = c.oid and i.indisprimary)
          and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass
                          and d.objid = c.oid and d.deptype = 'e')
        order by 1
    """

    def findings(self, ctx: CheckContext, rows: list[dict[str, Any]]) -> Iterable[Finding]:
        for row in rows:
            yield self.finding(
                row["name"],
                f"{row['name']} has no primary key",
                f"alter table {row['name']} add primary key (...)",
            )
