from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ...results import Finding, Severity
from ..base import Check
from ..context import CheckContext, array_literal
from ._truth import truth


class MissingWithCheck(Check):
    """Insert or update policy on a tenant table whose new rows are not checked against the tenant.

    **Problem**: a policy for INSERT, UPDATE or ALL without ``WITH CHECK`` falls back to its
    ``USING``; when neither references the column that places a row in its tenant (the
    table's tenant column, its user column for a user-owned table, or its foreign key to
    the parent for a table that reaches its tenant through a chain; found through the
    policy's ``pg_depend`` column dependencies, not its text), new or updated rows can carry
    any tenant: a user can write into another tenant.

    Not reported: a policy that lets no new row through (neither clause: PostgreSQL then
    denies every insert; an UPDATE policy without USING matches no row; a clause that is
    constant false such as ``using (false)``), and policies only for roles the API does not
    act as (``service_role``, BYPASSRLS or internal roles).

    **Fix**::

        alter policy tasks_insert on public.tasks
            with check (organization_id in (select private.my_organizations()));
    """

    id = "RLS006"
    gate = "rls"
    severity = Severity.ERROR
    verified = "every insert/update policy that lets rows through checks them against the tenant"
    # The columns that place each tenant table's rows in their tenant come from the tenancy
    # resolution (its tenant or user column, or a chain's foreign key to its parent), as
    # (table oid, attnum) pairs: one pass over the few policies without WITH CHECK of those
    # tables. A tenant root's own key is the tenant, not a column a row is moved by: roots
    # are left out.
    query = """
        with pol as materialized (
            select p.oid, p.polrelid, p.polname, p.polcmd, p.polqual
            from pg_policy p
            where p.polrelid = any(%(placing_oids)s::oid[]) and p.polpermissive
              and p.polcmd in ('a', 'w', '*') and p.polwithcheck is null
        ),
        keyed as (
            select k.oid, array_agg(k.attnum) as attnums
            from unnest(%(placing_oids)s::oid[], %(placing_attnums)s::int[]) as k(oid, attnum)
            group by k.oid
        )
        select p.polrelid::int as oid, format('%%I.%%I', n.nspname, c.relname) as name,
               p.polname as policy, p.polcmd::text as command, p.polqual is null as no_using
        from pol p
        join keyed k on k.oid = p.polrelid
        join pg_class c on c.oid = p.polrelid
        join pg_namespace n on n.oid = c.relnamespace
        where not exists (select 1 from pg_depend d
                          where d.classid = 'pg_policy'::regclass and d.objid = p.oid
                            and d.refclassid = 'pg_class'::regclass and d.refobjid = p.polrelid
                            and d.refobjsubid = any(k.attnums))
        order by 2, 3
    """

    def rows(self, ctx: CheckContext) -> list[dict[str, Any]]:
        columns = {t.oid: t.column_names for t in ctx.table_security()}
        placing = {
            tenure.oid: tenure.placing
            for tenure in ctx.tenancy_resolution().tables.values()
            if tenure.kind != "root" and tenure.placing
        }
        # attnum: the column's place in ``column_names`` (by attnum, NULL for a dropped one)
        pairs = [(oid, columns[oid].index(c) + 1) for oid, cols in placing.items() for c in cols]
        if not pairs:
            return []
        params = {
            **ctx.params(),
            "placing_oids": array_literal(oid for oid, _ in pairs),
            "placing_attnums": array_literal(attnum for _, attnum in pairs),
        }
        rows = ctx.conn.execute(self.query, params).fetchall()
        return [{**row, "columns": ", ".join(placing[row["oid"]])} for row in rows]

    def findings(self, ctx: CheckContext, rows: list[dict[str, Any]]) -> Iterable[Finding]:
        policies = {(p["name"], p["policy"]): p for p in ctx.policies()}
        for row in rows:
            policy = policies.get((row["name"], row["policy"]))
            if policy is None or not policy["api"] or not _lets_rows_through(ctx, row, policy):
                continue
            column = row["columns"]
            yield self.finding(
                row["name"],
                f"policy {row['policy']} on {row['name']} lets new rows through without "
                f"checking {column}",
                f"add WITH CHECK ({column} ...) to policy {row['policy']}",
                policy=row["policy"],
            )


def _lets_rows_through(ctx: CheckContext, row: dict[str, Any], policy: dict[str, Any]) -> bool:
    """Whether any new row can pass: WITH CHECK is absent here, so USING decides."""
    if row["no_using"]:
        return False  # no clause at all: PostgreSQL denies (and UPDATE matches no row)
    return truth(ctx, policy["using_expr"]) is not False
