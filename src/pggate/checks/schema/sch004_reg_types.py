from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ...results import Finding, Severity
from ..base import Check
from ..context import CheckContext

# reg* types whose stored values are OIDs that pg_upgrade does not preserve (it refuses to
# upgrade a database with such columns); regclass, regrole and regtype are preserved.
UNSUPPORTED = (
    "regcollation",
    "regconfig",
    "regdictionary",
    "regnamespace",
    "regoper",
    "regoperator",
    "regproc",
    "regprocedure",
)


class UnsupportedRegType(Check):
    """Column of a ``reg*`` type that ``pg_upgrade`` cannot carry over.

    **Problem**: ``regproc``, ``regoperator``, ``regnamespace`` and the like store OIDs,
    which differ after a major-version upgrade: ``pg_upgrade`` refuses to run on a database
    with such a column (Supabase's in-place upgrades among them). Arrays and domains over
    them count too.

    **Fix**: store the name as text (or regclass/regtype, which pg_upgrade does preserve)::

        alter table public.hooks alter column fn type text using fn::text;
    """

    id = "SCH004"
    gate = "schema"
    severity = Severity.WARNING
    verified = "no column has a `reg*` type that pg_upgrade refuses"
    query = """
        with recursive bad(oid) as (
            select t.oid from pg_type t
            where t.typnamespace = 'pg_catalog'::regnamespace and t.typname = any(%(reg_types)s)
            union
            select t.oid from pg_type t join bad on t.typelem = bad.oid or t.typbasetype = bad.oid
        )
        select format('%%I.%%I.%%I', n.nspname, c.relname, a.attname) as name, format_type(a.atttypid, a.atttypmod) as type
        from pg_attribute a
        join pg_class c on c.oid = a.attrelid and c.relkind in ('r', 'p', 'm')
        join pg_namespace n on n.oid = c.relnamespace
        where a.atttypid in (select oid from bad) and a.attnum > 0 and not a.attisdropped
          and n.nspname <> all(%(not_project_schemas)s) and n.nspname !~ '^pg_'
          and n.nspname <> 'information_schema'
          and c.oid <> all(%(pggate_oids)s::oid[])
        order by 1
    """

    def rows(self, ctx: CheckContext) -> list[dict[str, Any]]:
        params = {**ctx.params(), "reg_types": list(UNSUPPORTED)}
        return ctx.conn.execute(self.query, params).fetchall()

    def findings(self, ctx: CheckContext, rows: list[dict[str, Any]]) -> Iterable[Finding]:
        for row in rows:
            yield self.finding(
                row["name"],
                f"column {row['name']} is of type {row['type']}, which pg_upgrade cannot carry over",
                "store it as text (or regclass/regtype)",
            )
