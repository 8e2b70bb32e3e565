from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ...results import Finding, Severity
from ..base import Check
from ..context import CheckContext

COMMANDS = {"r": "select", "a": "insert", "w": "update", "d": "delete"}


class CommandNotCovered(Check):
    """A command (select/insert/update/delete) on a tenant table no policy covers for the actor role.

    **Problem**: the table has policies, but none permits this command for the role the app
    uses (``[tenancy.actor] role``, or ``public``). The command silently affects no rows: an
    update or delete "succeeds" and does nothing, an insert fails. Often a policy left out.

    **Fix**: add a policy for the command, or revoke the command's grant so the intent is
    explicit::

        create policy tasks_delete on public.tasks for delete using (...);
    """

    id = "RLS004"
    gate = "rls"
    severity = Severity.WARNING
    query = """
        select format('%%I.%%I', n.nspname, c.relname) as name, cmd.code as command
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        cross join (values ('r'), ('a'), ('w'), ('d')) as cmd(code)
        where c.oid = any(%(tenant_oids)s::oid[]) and c.relrowsecurity
          and exists (select 1 from pg_policy p where p.polrelid = c.oid)
          and not exists (
              select 1 from pg_policy p
              where p.polrelid = c.oid and p.polpermissive
                and (p.polcmd = '*' or p.polcmd = cmd.code)
                and (0 = any(p.polroles)
                     or exists (select 1 from pg_roles r
                                where r.oid = any(p.polroles) and r.rolname = %(actor_role)s)))
        order by 1, 2
    """

    def findings(self, ctx: CheckContext, rows: list[dict[str, Any]]) -> Iterable[Finding]:
        role = ctx.tenancy.actor.role
        for row in rows:
            command = COMMANDS[row["command"]]
            yield self.finding(
                row["name"], f"no policy on {row['name']} permits {command.upper()} for role {role}",
                f"create policy ... on {row['name']} for {command} to {role} ...; or revoke "
                f"{command} from {role} to make the denial explicit",
                command=command,
            )  # fmt: skip
