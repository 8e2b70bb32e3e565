from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ...results import Finding, Severity
from ..base import Check
from ..context import CheckContext

COMMANDS = {"r": "select", "a": "insert", "w": "update", "d": "delete"}


class CommandNotCovered(Check):
    """A command (select/insert/update/delete) on a tenant table no policy covers for the actor role.

    **Problem**: the table has policies, but none permits this command for a role the app
    uses (each ``[[tenancy.actors]]`` role, or ``[tenancy.actor] role``), directly, through a
    role it is a member of, or as ``public``. The command silently affects no rows: an
    update or delete "succeeds" and does nothing, an insert fails. Often a policy left out.

    Commands the actor role holds no table privilege for are not reported: PostgreSQL refuses
    them before any policy is consulted, so the denial is already explicit.

    **Fix**: add a policy for the command, or revoke the command's grant so the intent is
    explicit::

        create policy tasks_delete on public.tasks for delete using (...);
    """

    id = "RLS004"
    gate = "rls"
    severity = Severity.WARNING
    verified = "every command the actor role is granted on a tenant table is covered by a policy"
    # One pass over the tenant tables' policies per actor role (every role of
    # ``[[tenancy.actors]]``, or the one ``[tenancy.actor]``): the commands each table's
    # permissive policies grant the role, directly, through a role it is a member of (as
    # PostgreSQL applies policies), or to public, aggregated per table and compared with
    # the four commands (not a probe of pg_policy per table and command). Only the
    # uncovered (table, command, role) triples, usually few, then look up their table by
    # oid: a lateral probe (``offset 0`` keeps it one) because just after a migration
    # pg_class statistics are stale (no table with RLS) and a plain join let the planner
    # rescan the aggregate once per table.
    query = """
        with actors as (
            select a.name, r.oid
            from unnest(%(actor_roles)s::text[]) as a(name)
            left join pg_roles r on r.rolname = a.name
        ),
        covered as (
            select p.polrelid, a.name as role, a.oid as role_oid,
                   array_agg(p.polcmd::text) filter (
                       where p.polpermissive
                         and (0 = any(p.polroles)
                              or (a.oid is not null and exists (
                                  select 1 from unnest(p.polroles) as granted(oid)
                                  where pg_has_role(a.oid, granted.oid, 'USAGE'))))
                   ) as commands
            from pg_policy p cross join actors a
            where p.polrelid = any(%(tenant_oids)s::oid[])
            group by p.polrelid, a.name, a.oid
        ),
        uncovered as materialized (
            select covered.polrelid, covered.role, cmd.code
            from covered cross join (values ('r', 'SELECT'), ('a', 'INSERT'), ('w', 'UPDATE'), ('d', 'DELETE')) as cmd(code, privilege)
            where not coalesce(cmd.code = any(covered.commands) or '*' = any(covered.commands), false)
              and (covered.role_oid is null
                   or has_table_privilege(covered.role_oid, covered.polrelid, cmd.privilege))
        )
        select t.name, u.code as command, u.role
        from uncovered u
        cross join lateral (
            select format('%%I.%%I', n.nspname, c.relname) as name
            from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where c.oid = u.polrelid and c.relrowsecurity
            offset 0
        ) as t
        order by 1, 2, 3
    """

    def findings(self, ctx: CheckContext, rows: list[dict[str, Any]]) -> Iterable[Finding]:
        for row in rows:
            command, role = COMMANDS[row["command"]], row["role"]
            yield self.finding(
                row["name"],
                f"no policy on {row['name']} permits {command.upper()} for role {role}",
                f"create policy ... on {row['name']} for {command} to {role} ...; or revoke "
                f"{command} from {role} to make the denial explicit",
                command=command,
            )
