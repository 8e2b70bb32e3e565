from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ...results import Finding, Severity
from ..base import Check
from ..context import CheckContext


class AuditColumnMissing(Check):
    """Tenant-scoped table without a configured audit column (``created_at``, ``created_by``...).

    **Problem**: ``[gates.traceability] audit_columns`` lists columns every tenant-scoped
    table must carry so each row says when and by whom it was made; this table lacks one.

    **Fix**::

        alter table public.tasks add column created_by uuid default auth.uid();
    """

    id = "TRC004"
    gate = "traceability"
    severity = Severity.ERROR
    verified = "every tenant table has the configured audit columns"
    query = """
        select format('%%I.%%I', n.nspname, c.relname) as name, col.name as column_name
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        cross join unnest(%(audit_columns)s::text[]) as col(name)
        where c.oid = any(%(tenant_oids)s::oid[])
          and not exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = col.name
                          and a.attnum > 0 and not a.attisdropped)
        order by 1, 2
    """

    def rows(self, ctx: CheckContext) -> list[dict[str, Any]]:
        from . import config

        columns = config(ctx).audit_columns
        if not columns:
            return []
        return ctx.conn.execute(self.query, {**ctx.params(), "audit_columns": columns}).fetchall()

    def findings(self, ctx: CheckContext, rows: list[dict[str, Any]]) -> Iterable[Finding]:
        for row in rows:
            yield self.finding(
                f"{row['name']}.{row['column_name']}",
                f"{row['name']} has no {row['column_name']} column",
                f"alter table {row['name']} add column {row['column_name']} ...",
            )
