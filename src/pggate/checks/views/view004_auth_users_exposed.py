from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ...results import Finding, Severity
from ..context import CheckContext
from ._base import ViewCheck


class AuthUsersExposed(ViewCheck):
    """View or materialized view in an exposed schema that exposes ``auth.users`` to the API.

    **Problem**: ``auth.users`` holds every user's email, phone, metadata and sign-in data
    (and the rest of the ``auth`` schema their identities, sessions and tokens). A view over
    them that ``anon`` or ``authenticated`` can select puts those rows on the API: with owner
    rights (the default) every user's row is readable; with ``security_invoker`` the view
    only works if the API roles were granted the table itself, which exposes it just the
    same. Either kind is an error. The dependency is read from the view's rewrite rule, not
    its text.

    **Fix**: expose only the columns you need from a table of your own (``public.profiles``
    filled by a trigger) with RLS, or revoke the view from the API roles::

        revoke select on public.user_list from anon, authenticated;
    """

    id = "VIEW004"
    gate = "views"
    severity = Severity.ERROR
    verified = (
        "no view in an exposed schema exposes `auth.users` (or another `auth` table) to the API"
    )
    query = """
        select format('%%I.%%I', n.nspname, v.relname) as view, v.relkind::text as kind, auth.tables,
               array(select a.rolname from pg_roles a
                     where a.rolname in ('anon', 'authenticated')
                       and has_table_privilege(a.oid, v.oid, 'SELECT') order by 1) as roles
        from pg_class v join pg_namespace n on n.oid = v.relnamespace
        cross join lateral (
            select string_agg(distinct format('%%I.%%I', tn.nspname, t.relname), ', ') as tables
            from pg_rewrite r
            join pg_depend d on d.classid = 'pg_rewrite'::regclass and d.objid = r.oid
                            and d.refclassid = 'pg_class'::regclass
            join pg_class t on t.oid = d.refobjid and t.relkind in ('r', 'p')
            join pg_namespace tn on tn.oid = t.relnamespace and tn.nspname = 'auth'
            where r.ev_class = v.oid
        ) as auth
        where v.oid = any(%(view_oids)s::oid[]) and auth.tables is not null
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
                f"{kind} {row['view']} exposes {row['tables']} to {roles}",
                f"revoke select on {row['view']} from {roles}; expose a profiles table with RLS instead",  # noqa: S608 - advice text, never executed
            )
