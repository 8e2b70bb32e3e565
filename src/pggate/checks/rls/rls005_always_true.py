from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from ...results import Finding, Severity
from ..base import Check
from ..context import CheckContext
from ._truth import truth

READ_COMMANDS = {"r"}


class AlwaysTruePolicy(Check):
    """Permissive policy for an API role whose USING or WITH CHECK is always true.

    **Problem**: permissive policies are OR-ed together, so one ``using (true)`` (or
    ``with check (true)``) opens the table to every tenant, whatever the other policies say.
    Constants count however they are written (``1 = 1``, ``'a' = 'a'``, ``true or ...``,
    ``coalesce(true, ...)``, an immutable function returning true): the server's planner
    folds them, so no column and no non-immutable function can hide in them.

    On a tenant-scoped table any such clause is an error. On another exposed table a SELECT
    ``using (true)`` is a deliberately public table and not reported; opening writes
    (insert, update, delete) to every row is a warning. Only policies that apply to an API
    role count (``anon``, ``authenticated``, the actor role, ``public``): ``to service_role``
    or any BYPASSRLS or internal role is not the API's business. An UPDATE policy with only
    ``with check (true)`` matches no row (no USING) and grants nothing, so it is not reported.

    **Fix**: scope the policy to the user's tenant, or make it ``as restrictive`` if it is
    meant as an extra condition::

        alter policy tasks_select on public.tasks
            using (organization_id in (select private.my_organizations()));
    """

    id = "RLS005"
    gate = "rls"
    severity = Severity.ERROR
    verified = "no permissive policy for an API role is always true"

    def rows(self, ctx: CheckContext) -> list[dict[str, Any]]:
        rows = []
        for policy in ctx.policies():
            if not (policy["permissive"] and policy["api"] and policy["rls"]):
                continue
            if not (policy["tenant_scoped"] or policy["reachable"]):
                continue
            opened = list(_opened(ctx, policy))
            if opened:
                rows.append({**policy, "opened": opened})
        return rows

    def findings(self, ctx: CheckContext, rows: list[dict[str, Any]]) -> Iterable[Finding]:
        for row in rows:
            commands = {command for _, command in row["opened"]}
            if not row["tenant_scoped"] and commands <= READ_COMMANDS:
                continue  # a public read on a table without tenants: deliberate
            clauses = " and ".join(dict.fromkeys(clause for clause, _ in row["opened"]))
            what = ", ".join(sorted({_VERBS[c] for c in commands}))
            roles = ", ".join(row["roles"])
            if row["tenant_scoped"]:
                message = (
                    f"policy {row['policy']} on {row['name']} (to {roles}) has {clauses} always "
                    f"true: every tenant's rows can be {what}"
                )
                severity = Severity.ERROR
            else:
                message = (
                    f"policy {row['policy']} on {row['name']} (to {roles}) has {clauses} always "
                    f"true: anyone with the role can {_writes(commands)}"
                    " any row"
                )
                severity = Severity.WARNING
            yield self.finding(
                row["name"],
                message,
                f"scope {row['policy']} to the user's rows, or make it AS RESTRICTIVE",
                severity=severity,
                policy=row["policy"],
            )


_VERBS = {"r": "read", "a": "inserted", "w": "updated", "d": "deleted"}


def _writes(commands: set[str]) -> str:
    names = (("a", "insert"), ("w", "update"), ("d", "delete"))
    return "/".join(name for code, name in names if code in commands)


def _opened(ctx: CheckContext, policy: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(clause, command) pairs the policy opens to every row.

    USING decides which existing rows a command reaches (select, update, delete); WITH
    CHECK, or USING when it is absent, which new rows pass (insert, update). A policy
    without USING reaches no existing row, so for UPDATE it grants nothing at all.
    """
    command = policy["command"]
    using = None if policy["no_using"] else truth(ctx, policy["using_expr"])
    check = None if policy["no_check"] else truth(ctx, policy["check_expr"])
    if command in ("r", "d", "w", "*") and using is True:
        for code in {"r": "r", "d": "d", "w": "w", "*": "rwd"}[command]:
            yield "USING", code
    new_rows = check if not policy["no_check"] else using
    if command in ("a", "*") and new_rows is True:
        yield ("WITH CHECK" if not policy["no_check"] else "USING"), "a"
    if command in ("w", "*") and not policy["no_using"] and using is not True and check is True:
        yield "WITH CHECK", "w"  # its rows can be moved anywhere
