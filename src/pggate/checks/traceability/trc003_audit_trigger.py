from __future__ import annotations

from typing import Any

from ...results import Severity
from ..base import QueryCheck
from ..context import CheckContext


class AuditTriggerMissing(QueryCheck):
    """Table that must be audited has no audit trigger.

    **Problem**: ``[gates.traceability] audited_tables`` (a list, or ``"all"`` for every
    tenant-scoped table) says changes to this table must leave an audit trail, but no
    trigger on it calls a function whose name contains ``audit_function`` (default
    ``audit``): its changes are untraceable.

    **Fix**::

        create trigger tasks_audit after insert or update or delete on public.tasks
            for each row execute function private.audit_row();
    """

    id = "TRC003"
    gate = "traceability"
    severity = Severity.ERROR
    verified = "every audited table has its audit trigger"
    query = """
        select format('%%I.%%I', n.nspname, c.relname) as name
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where (c.oid = any(%(audited_oids)s::oid[]))
          and not exists (select 1 from pg_trigger t join pg_proc p on p.oid = t.tgfoid
                          where t.tgrelid = c.oid and not t.tgisinternal
                            and strpos(p.proname, %(audit_function)s) > 0)
        order by 1
    """
    message = "{name} must be audited but has no audit trigger"
    hint = (
        "create trigger ... after insert or update or delete on {name} "
        "for each row execute function <your audit function>()"
    )

    def rows(self, ctx: CheckContext) -> list[dict[str, Any]]:
        from . import config

        settings = config(ctx)
        if settings.audited_tables == "all":
            oids = [t["oid"] for t in ctx.tenant_tables()]
        else:
            wanted = set(settings.audited_tables)
            oids = [
                t["oid"] for t in ctx.exposed_tables() + ctx.tenant_tables() if t["name"] in wanted
            ]
            oids += self._other_tables(ctx, wanted - {t["name"] for t in ctx.exposed_tables()})
        if not oids:
            return []
        params = {**ctx.params(), "audited_oids": oids, "audit_function": settings.audit_function}
        return ctx.conn.execute(self.query, params).fetchall()

    def _other_tables(self, ctx: CheckContext, names: set[str]) -> list[int]:
        if not names:
            return []
        rows = ctx.conn.execute(
            "select c.oid::int as oid from pg_class c join pg_namespace n on n.oid = c.relnamespace "
            "where n.nspname || '.' || c.relname = any(%s)",
            (sorted(names),),
        ).fetchall()
        return [r["oid"] for r in rows]
