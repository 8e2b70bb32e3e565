from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ...results import Finding, Severity
from ..base import Check
from ..context import CheckContext


class UnindexedForeignKey(Check):
    """Foreign key whose columns no index leads with.

    **Problem**: deleting or updating a parent row makes PostgreSQL look for children by the
    foreign key columns; without an index whose leading columns are exactly those columns
    (in any order) that is a full scan of the child table per parent row, under lock.

    **Fix**::

        create index concurrently tasks_project_id_idx on public.tasks (project_id);
    """

    id = "FK003"
    gate = "fk"
    severity = Severity.WARNING
    verified = "every foreign key has an index leading with its columns"
    query = """
        select format('%%I.%%I', n.nspname, c.relname) as table_name, k.conname as name,
               (select string_agg(a.attname, ', ' order by u.n) from unnest(k.conkey) with ordinality u(att, n)
                join pg_attribute a on a.attrelid = k.conrelid and a.attnum = u.att) as columns
        from pg_constraint k join pg_class c on c.oid = k.conrelid join pg_namespace n on n.oid = c.relnamespace
        where k.contype = 'f' and c.oid <> all(%(pggate)s::oid[]) and n.nspname not like 'pg\\_%%'
          and n.nspname <> 'information_schema'
          and not exists (
              select 1 from pg_index i
              where i.indrelid = k.conrelid and i.indpred is null
                and i.indnkeyatts >= cardinality(k.conkey)
                and (select array_agg(x order by x) from unnest((i.indkey::int2[])[0:cardinality(k.conkey) - 1]) x)
                    = (select array_agg(x order by x) from unnest(k.conkey) x))
        order by 1, 2
    """

    def rows(self, ctx: CheckContext) -> list[dict[str, Any]]:
        return ctx.conn.execute(self.query, {"pggate": ctx.pggate_tables()}).fetchall()

    def findings(self, ctx: CheckContext, rows: list[dict[str, Any]]) -> Iterable[Finding]:
        for row in rows:
            yield self.finding(
                f"{row['table_name']}({row['columns']})",
                f"foreign key {row['name']} on {row['table_name']}({row['columns']}) has no index leading with its columns",
                f"create index concurrently on {row['table_name']} ({row['columns']})",
            )
