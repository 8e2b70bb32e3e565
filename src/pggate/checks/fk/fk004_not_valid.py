from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ...results import Finding, Severity
from ..base import Check
from ..context import CheckContext


class NotValidForeignKey(Check):
    """Foreign key still NOT VALID.

    **Problem**: a constraint added ``NOT VALID`` checks new rows only; existing rows were never
    checked and may point nowhere (see FK002), and the planner cannot rely on it.

    **Fix** (takes a weaker lock than adding it validated)::

        alter table public.tasks validate constraint tasks_project_id_fkey;
    """

    id = "FK004"
    gate = "fk"
    severity = Severity.WARNING
    verified = "every foreign key is validated"
    query = """
        select format('%%I.%%I', n.nspname, c.relname) as table_name, k.conname as name
        from pg_constraint k join pg_class c on c.oid = k.conrelid join pg_namespace n on n.oid = c.relnamespace
        where k.contype = 'f' and not k.convalidated and n.nspname <> 'information_schema'
          and n.nspname not like 'pg\\_%%'
        order by 1, 2
    """

    def findings(self, ctx: CheckContext, rows: list[dict[str, Any]]) -> Iterable[Finding]:
        for row in rows:
            yield self.finding(
                f"{row['table_name']}.{row['name']}",
                f"foreign key {row['name']} on {row['table_name']} is NOT VALID",
                f"alter table {row['table_name']} validate constraint {row['name']}",
            )
