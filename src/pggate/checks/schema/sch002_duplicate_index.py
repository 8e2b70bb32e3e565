from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ...results import Finding, Severity
from ..base import Check
from ..context import CheckContext


class DuplicateIndex(Check):
    """Two or more identical indexes on one table.

    **Problem**: indexes with the same columns, operator classes, collations, options,
    expressions, predicate and access method answer exactly the same queries; every extra
    one only slows each write and takes space (often one made by a constraint and one by
    hand). Compared on ``pg_index``, not on names or text.

    **Fix**: drop all but one (keep the one a constraint uses)::

        drop index concurrently public.tasks_project_id_idx1;
    """

    id = "SCH002"
    gate = "schema"
    severity = Severity.WARNING
    verified = "no table has two identical indexes"
    query = """
        select format('%%I.%%I', n.nspname, c.relname) as name,
               array_agg(format('%%I.%%I', n.nspname, ic.relname)
                         order by exists (select 1 from pg_constraint k where k.conindid = i.indexrelid) desc,
                                  ic.relname) as indexes
        from pg_index i
        join pg_class ic on ic.oid = i.indexrelid
        join pg_class c on c.oid = i.indrelid
        join pg_namespace n on n.oid = c.relnamespace
        where n.nspname <> all(%(not_project_schemas)s) and n.nspname !~ '^pg_'
          and n.nspname <> 'information_schema'
          and c.oid <> all(%(pggate_oids)s::oid[])
        group by n.nspname, c.relname, i.indrelid, i.indkey::text, i.indclass::text, i.indcollation::text,
                 i.indoption::text, ic.relam, i.indisunique,
                 -- as text: stored trees carry source positions on PostgreSQL 15
                 case when i.indexprs is null then '' else pg_get_expr(i.indexprs, i.indrelid) end,
                 case when i.indpred is null then '' else pg_get_expr(i.indpred, i.indrelid) end
        having count(*) > 1
        order by 1, 2
    """

    def findings(self, ctx: CheckContext, rows: list[dict[str, Any]]) -> Iterable[Finding]:
        for row in rows:
            keep, *extra = row["indexes"]
            yield self.finding(
                row["name"],
                f"{row['name']} has identical indexes {', '.join(row['indexes'])}",
                f"keep {keep}; drop index concurrently {', '.join(extra)}",
                indexes=row["indexes"],
            )
