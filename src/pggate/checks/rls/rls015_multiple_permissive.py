from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from ...results import Finding, Severity
from ..base import Check
from ..context import CheckContext

COMMANDS = {"r": "select", "a": "insert", "w": "update", "d": "delete"}


class MultiplePermissivePolicies(Check):
    """Several permissive policies on one table for the same role and command.

    **Problem**: permissive policies are OR-ed, and PostgreSQL evaluates every one of them
    for each row the command touches: two policies for ``authenticated`` on SELECT cost
    twice, where one policy with both conditions OR-ed would let the planner do better. It
    also makes the rule harder to read: the effective condition is spread over policies.
    Counted per API role (``anon``, ``authenticated``, the actor role; a policy ``to public``
    applies to each) and per command (``for all`` counts for each), on the tables the API
    reaches.

    **Fix**: merge them into one policy per role and command, or make the extra conditions
    ``as restrictive``::

        create policy tasks_select on public.tasks for select to authenticated
            using (is_public or organization_id in (select private.my_organizations()));
    """

    id = "RLS015"
    gate = "rls"
    severity = Severity.WARNING
    verified = "each API role has at most one permissive policy per table and command"

    def rows(self, ctx: CheckContext) -> list[dict[str, Any]]:
        api_roles = set(ctx.exposure().roles) or {"public"}
        groups: dict[tuple[str, str, str], list[str]] = defaultdict(list)
        for policy in ctx.policies():
            if not (policy["permissive"] and policy["api"] and policy["rls"]):
                continue
            if not (policy["reachable"] or policy["tenant_scoped"]):
                continue
            roles = api_roles if "public" in policy["roles"] else set(policy["roles"]) & api_roles
            commands = "rawd" if policy["command"] == "*" else policy["command"]
            for role in roles:
                for command in commands:
                    groups[(policy["name"], role, command)].append(policy["policy"])
        return [
            {"name": name, "role": role, "command": COMMANDS[command], "policies": names}
            for (name, role, command), names in groups.items()
            if len(names) > 1
        ]

    def findings(self, ctx: CheckContext, rows: list[dict[str, Any]]) -> Iterable[Finding]:
        merged: dict[tuple[str, tuple[str, ...]], dict[str, Any]] = {}
        for row in rows:  # one finding per table and set of policies, listing roles and commands
            key = (row["name"], tuple(sorted(row["policies"])))
            entry = merged.setdefault(key, {"roles": set(), "commands": set()})
            entry["roles"].add(row["role"])
            entry["commands"].add(row["command"])
        for (name, policies), entry in merged.items():
            commands = [c for c in COMMANDS.values() if c in entry["commands"]]
            yield self.finding(
                name,
                f"{name} has {len(policies)} permissive policies ({', '.join(policies)}) for "
                f"{', '.join(sorted(entry['roles']))} on {', '.join(c.upper() for c in commands)}: "
                "each is evaluated for every row",
                "merge them into one policy per role and command, or make extra conditions "
                "AS RESTRICTIVE",
                policies=list(policies),
            )
