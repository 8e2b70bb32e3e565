from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ...results import Finding, Severity
from ..base import Check
from ..context import CheckContext
from ._truth import truth


class MissingWithCheck(Check):
    """Insert or update policy on a tenant table whose new rows are not checked against the tenant.

    **Problem**: a policy for INSERT, UPDATE or ALL without ``WITH CHECK`` falls back to its
    ``USING``; when neither references the tenant column (found through the policy's
    ``pg_depend`` column dependencies, not its text), new or updated rows can carry any
    tenant: a user can write into another tenant.

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
    query = """
        select format('%%I.%%I', n.nspname, c.relname) as name, p.polname as policy, p.polcmd::text as command,
               p.polqual is null as no_using
        from pg_policy p join pg_class c on c.oid = p.polrelid
        join pg_namespace n on n.oid = c.relnamespace
        join pg_attribute a on a.attrelid = c.oid and a.attname = %(tenant_column)s
        where c.oid = any(%(tenant_oids)s::oid[]) and p.polpermissive and p.polcmd in ('a', 'w', '*')
          and p.polwithcheck is null
          and not exists (select 1 from pg_depend d
                          where d.classid = 'pg_policy'::regclass and d.objid = p.oid
                            and d.refclassid = 'pg_class'::regclass and d.refobjid = c.oid
                            and d.refobjsubid = a.attnum)
        order by 1, 2
    """

    def findings(self, ctx: CheckContext, rows: list[dict[str, Any]]) -> Iterable[Finding]:
        column = ctx.tenancy.column
        policies = {(p["name"], p["policy"]): p for p in ctx.policies()}
        for row in rows:
            policy = policies.get((row["name"], row["policy"]))
            if policy is None or not policy["api"] or not _lets_rows_through(ctx, row, policy):
                continue
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
