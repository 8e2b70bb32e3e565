from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ...results import Finding, Severity
from ..base import Check
from ..context import CheckContext


class DefinerExecutableByApi(Check):
    """SECURITY DEFINER function in an exposed schema that an API role can execute.

    **Problem**: PostgreSQL grants EXECUTE to PUBLIC by default, so an owner-rights function
    in an exposed schema is callable through the API (``/rpc/...``) unless revoked: a door
    around RLS. Callable by ``anon`` (or by PUBLIC where there is no ``anon``) it is open to
    anyone on the internet: an error. Callable only by ``authenticated`` or the actor role,
    any signed-up user can run it with the owner's rights: a warning, to confirm the function
    checks who calls it; info when its body reads the caller's identity (``auth.uid()``,
    ``auth.jwt()``, ``auth.role()``), as an RPC meant for signed-in users does. Trigger functions cannot be called directly and are not reported,
    nor are functions an extension owns.

    **Fix**::

        revoke execute on function public.admin_stats() from public, anon;
        grant execute on function public.admin_stats() to authenticated;  -- if meant for users
    """

    id = "FUNC002"
    gate = "functions"
    severity = Severity.ERROR
    verified = "no SECURITY DEFINER function in an exposed schema is executable by `anon`, nor by `authenticated` unless it reads the caller"
    query = """
        select format('%%I.%%I(%%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)) as name,
               array(select r.rolname from pg_roles r
                     where r.oid = any(%(api_role_oids)s::oid[])
                       and has_function_privilege(r.oid, p.oid, 'EXECUTE') order by 1) as roles,
               (p.proacl is null or exists (select 1 from aclexplode(p.proacl) a
                                            where a.grantee = 0 and a.privilege_type = 'EXECUTE')) as public,
               p.prosrc ~ 'auth\\.(uid|jwt|role)\\(\\)' as reads_caller
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where p.prosecdef and n.nspname = any(%(exposed_schemas)s) and p.prokind in ('f', 'p')
          and p.prorettype not in ('trigger'::regtype, 'event_trigger'::regtype)
          and not exists (select 1 from pg_depend d
                          where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
        order by 1
    """

    def findings(self, ctx: CheckContext, rows: list[dict[str, Any]]) -> Iterable[Finding]:
        has_anon = "anon" in ctx.exposure().roles
        for row in rows:
            roles = row["roles"]
            if "anon" in roles or (row["public"] and not has_anon):
                who = (
                    "anon (anyone, signed in or not)" if "anon" in roles else "PUBLIC (every role)"
                )
                yield self.finding(
                    row["name"],
                    f"SECURITY DEFINER function {row['name']} is executable by {who}",
                    f"revoke execute on function {row['name']} from public, anon",
                )
            elif roles and row["reads_caller"]:
                yield self.finding(
                    row["name"],
                    f"SECURITY DEFINER function {row['name']} is executable by "
                    f"{', '.join(roles)}; its body reads the caller (auth.uid()/jwt()/role())",
                    "check that every path of it verifies the caller before acting",
                    severity=Severity.INFO,
                )
            elif roles:
                yield self.finding(
                    row["name"],
                    f"SECURITY DEFINER function {row['name']} is executable by "
                    f"{', '.join(roles)}: any signed-in user runs it with its owner's rights",
                    "make sure it checks the caller (auth.uid()), or revoke execute from "
                    + ", ".join(roles),
                    severity=Severity.WARNING,
                )
