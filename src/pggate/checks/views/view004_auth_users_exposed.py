from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ...results import Finding, Severity
from ..context import CheckContext
from ._base import ViewCheck


class AuthUsersExposed(ViewCheck):
    """View or materialized view in an exposed schema that exposes ``auth.users`` to the API.

    **Problem**: ``auth.users`` holds every user's email, phone, metadata and sign-in data.
    A view over it that ``anon`` or ``authenticated`` can select puts those rows on the API:
    with owner rights (the default) every user's row is readable; with ``security_invoker``
    the view only works if the API roles were granted ``auth.users`` itself, which exposes it
    just the same. Either kind is an error. The dependency is read from the view's rewrite
    rule, not its text.

    **Fix**: expose only the columns you need from a table of your own (``public.profiles``
    filled by a trigger) with RLS, or revoke the view from the API roles::

        revoke select on public.user_list from anon, authenticated;
    """

    id = "VIEW004"
    gate = "views"
    severity = Severity.ERROR
    verified = "no view in an exposed schema exposes `auth.users` to the API"
    query = """
        select format('%%I.%%I', n.nspname, v.relname) as view, v.relkind::text as kind,
               array(select a.rolname from pg_roles a
                     where a.rolname in ('anon', 'authenticated')
                       and has_table_privilege(a.oid, v.oid, 'SELECT') order by 1) as roles
        from pg_class v join pg_namespace n on n.oid = v.relnamespace
        where v.oid = any(%(view_oids)s::oid[])
          and exists (select 1 from pg_rewrite r
                      join pg_depend d on d.classid = 'pg_rewrite'::regclass and d.objid = r.oid
                                      and d.refclassid = 'pg_class'::regclass
                      where r.ev_class = v.oid and d.refobjid = to_regclass('auth.users'))
        order by 1
    """

    def findings(self, ctx: CheckContext, rows: list[dict[str, Any]]) -> Iterable[Finding]:
        for row in rows:
            if not row["roles"]:
                continue
            kind = "materialized view" if row["kind"] == "m" else "view"
            roles = ", ".join(row["roles"])
            yield self.finding(
                row["view"],
                f"{kind} {row['view']} exposes auth.users to {roles}",
                f"revoke select on {row['view']} from {roles}; expose a profiles table with RLS instead",  # noqa: S608 - advice text, never executed
            )
