"""Gate ``isolation``: the behavioural cross-tenant proof (RLS010-RLS032).

Inside one transaction that is always rolled back: find every tenant-scoped table and
how its tenant is known (``tables.py``), pick two tenants with a member each, make sure
every table has rows of both (``rows.py``: found, or made as the connecting role), then
for every actor and both directions try to read, change, insert and move the other
tenant's rows, and do the actor's own job on its own rows (``probe.py``), each probe in
a savepoint rolled back right after it; finally the same reads and deletes as ``anon``
with no claims. A table whose probes could not all run is unproven (RLS032), never a
pass; the summary says "proven N of M tables" and, per table, which actor ran which
probe against how many rows.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

from psycopg import sql

from ...config import Actor, Record
from ...db import grant_role, rolled_back, split_qualified
from ...results import Finding, GateResult, Severity
from ..actor import can_become, find_member, member_query, role_exists, tenants_with_rows
from ..context import CheckContext, array_literal
from . import (  # noqa: F401  (each module registers its check)
    rls010_read,
    rls011_change,
    rls012_insert,
    rls013_vacuous,
    rls030_policy_error,
    rls031_positive_path,
    rls032_unproven,
)
from .probe import CROSS, OWN, Access, Direction, Outcome, Prober, probe_anon
from .rls013_vacuous import Vacuous
from .rls032_unproven import Unproven
from .rows import RowMaker, Side, Unmakeable
from .tables import TenantTable, discover

_POLICY_CODE = {"select": "r", "insert": "a", "update": "w", "delete": "d"}
CHECKS = ("RLS010", "RLS011", "RLS012", "RLS013", "RLS030", "RLS031", "RLS032")
_TENANT_CANDIDATES = 10

# Per role and table: the privileges each command needs, and, where the role holds SELECT or
# UPDATE on some columns only, which ones (its probes then name rows by a key it may read,
# ``probe.py``). The column lists are read only for such tables.
_PRIVILEGES = """
select r.role, c.oid::int as oid,
       has_any_column_privilege(r.role, c.oid, 'select') as select,
       has_any_column_privilege(r.role, c.oid, 'insert') as insert,
       has_any_column_privilege(r.role, c.oid, 'update') as update,
       has_table_privilege(r.role, c.oid, 'delete') as delete,
       case when not has_table_privilege(r.role, c.oid, 'select') then
         array(select a.attname::text from pg_attribute a
               where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
                 and has_column_privilege(r.role, c.oid, a.attnum, 'select') order by a.attnum)
       end as readable,
       case when not has_table_privilege(r.role, c.oid, 'update') then
         array(select a.attname::text from pg_attribute a
               where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
                 and has_column_privilege(r.role, c.oid, a.attnum, 'update') order by a.attnum)
       end as updatable
from unnest(%(roles)s::text[]) as r(role) cross join unnest(%(oids)s::oid[]) as c(oid)
"""


# Where RLS would not apply to the actor: the role itself, or tables it owns without FORCE.
_BYPASS = """
select 'isolation' as name, case when r.rolsuper then 'superuser' else 'BYPASSRLS' end as why
from pg_roles r where r.rolname = %(role)s and (r.rolsuper or r.rolbypassrls)
union all
select n.nspname || '.' || c.relname, 'table owner, RLS not forced'
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where c.oid = any(%(oids)s::oid[]) and c.relrowsecurity and not c.relforcerowsecurity
  and pg_has_role(%(role)s, c.relowner, 'USAGE')
  and not exists (select 1 from pg_roles r where r.rolname = %(role)s and (r.rolsuper or r.rolbypassrls))
"""


# Per actor role and table, the commands some permissive policy applying to the role covers
# ('*' for ALL): only those are expected to work on the actor's own rows.
_POLICY_COMMANDS = """
select r.role, p.polrelid::int as oid, array_agg(distinct p.polcmd::text) as commands
from unnest(%(roles)s::text[]) as r(role)
join pg_policy p on p.polrelid = any(%(oids)s::oid[]) and p.polpermissive
where exists (select 1 from unnest(p.polroles) pr(oid)
              where pr.oid = 0 or pg_has_role(r.role, pr.oid, 'USAGE'))
group by 1, 2
"""


_COLUMNS_HINT = (
    "grant the role SELECT on the table's primary key columns, so that a probe can name a row"
)


class IsolationConfig(Record):
    """``[gates.isolation]``."""

    seed: str | None = (
        None  # SQL file run inside the proof's transaction when fewer than two tenants have rows
    )
    anon_role: str = "anon"
    unproven: Literal["error", "warning"] = "error"


def run(ctx: CheckContext) -> GateResult:
    """Run the proof on every tenant-scoped table; everything is rolled back."""
    started = time.perf_counter()
    config = ctx.gate_config("isolation", IsolationConfig)
    severity = Severity(config.unproven)
    discovery = discover(ctx)
    findings = [
        Vacuous().finding(obj, message, hint, severity=severity)
        for obj, message, hint in discovery.problems
    ]
    summary: dict[str, Any] = {}
    if not discovery.tables:
        if not findings and "tenancy" not in ctx.project.settings.model_fields_set:
            return GateResult(
                "isolation",
                skipped=f"no [tenancy] in {ctx.project.file.name} and no tenant-scoped tables "
                f"({ctx.exposure().describe()})",
                checks=CHECKS,
            )
        findings.append(
            Vacuous().finding(
                "isolation",
                "no tenant-scoped tables: check [tenancy] (tenant columns "
                f"{', '.join(ctx.tenancy.tenant_columns)} in exposed schemas {', '.join(ctx.exposure().schemas) or 'none'})",
                "name the tenant column(s) in [tenancy] columns, or the tables in [tenancy] roots, "
                "user_tables or table_columns",
                severity=severity,
            )
        )
    else:
        with rolled_back(ctx.conn):
            proof = Proof(ctx, discovery.tables, config, severity)
            findings.extend(proof.run())
            summary = proof.summary()
    return GateResult(
        "isolation", tuple(findings), (time.perf_counter() - started) * 1000, summary, CHECKS
    )


class Proof:
    """One run of the proof: tenants, actors, rows, probes, and what they showed."""

    def __init__(
        self,
        ctx: CheckContext,
        tables: list[TenantTable],
        config: IsolationConfig,
        severity: Severity,
    ) -> None:
        self.ctx = ctx
        self.conn = ctx.conn
        self.tables = tables
        self.config = config
        self.severity = severity
        self.tenants: list[str] = []
        self.directions: list[Direction] = []
        self.notes: list[str] = []
        self.maker = RowMaker(ctx.conn, tables, _plain(ctx.tenancy.members_table))
        self.outcomes: list[Outcome] = []
        self.access: dict[str, dict[int, Access]] = defaultdict(dict)
        self.anon = False  # the anon role exists and may be become: it is probed too

    # ---------------------------------------------------------------- the proof

    def run(self) -> list[Finding]:
        """All findings (the caller's transaction is rolled back afterwards)."""
        problem = self._choose_tenants()
        if problem:
            return [problem]
        bypass = [f for a in self._actors() for f in self._bypass(a.role)]
        if bypass:
            return bypass
        self._choose_directions()
        self._prepare_rows()
        anon = self.config.anon_role
        self.anon = role_exists(self.conn, anon) and can_become(self.conn, anon)
        privileges = self._privileges()
        policies: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for p in self.ctx.policies():
            policies[p["name"]].append(p)
        prober = Prober(self.conn, self.maker, privileges, policies, self.access)
        for direction in self.directions:
            prober.run(direction, self.ctx.tenancy, self.tables)
        findings = list(prober.findings)
        self.outcomes = prober.outcomes
        anon = self.config.anon_role
        if role_exists(self.conn, anon) and not can_become(self.conn, anon):
            findings.append(self._cannot_become([anon], "the anon role", "its probes"))
        elif self.anon:
            sides = list({d.me for d in self.directions})
            anon_findings, anon_outcomes = probe_anon(
                self.conn, anon, self.tables, self.maker, sides, self.access[anon]
            )
            findings += anon_findings
            self.outcomes += anon_outcomes
        return _merged(findings) + self._unproven()

    def _actors(self) -> list[Actor]:
        return self.ctx.tenancy.all_actors

    def _choose_tenants(self) -> Finding | None:
        candidates = self._tenant_candidates()
        if len(candidates) < 2 and self._seed() is not None:
            self.conn.execute(self._seed().read_text())
            candidates = self._tenant_candidates()
        actors = self._actors()
        missing = [a for a in actors if not role_exists(self.conn, a.role)]
        if missing:
            names = ", ".join(f"{a.name} ({a.role})" for a in missing)
            return Vacuous().finding(
                "isolation",
                f"actor role(s) do not exist: {names}",
                "create the role, or fix [tenancy.actor] role",
                severity=self.severity,
            )
        barred = sorted({a.role for a in actors if not can_become(self.conn, a.role)})
        if barred:
            return self._cannot_become(barred, "the actor role", "the proof")
        primary = actors[0]
        if member_query(self.conn, self.ctx.tenancy, primary) is None:
            return Vacuous().finding(
                "isolation",
                f"no member_query for actor {primary.name}, and no members table "
                f"{self.ctx.tenancy.members_table} with a tenant column",
                "set [tenancy.actor] member_query, or [tenancy] members_table",
                severity=self.severity,
            )
        for tenant in candidates:
            if find_member(self.conn, self.ctx.tenancy, tenant, primary) is not None:
                self.tenants.append(tenant)
            if len(self.tenants) == 2:
                return None
        return Vacuous().finding(
            "isolation",
            f"fewer than two tenants with rows and a member found by actor {primary.name}'s "
            f"member_query ({len(candidates)} tenant(s) with rows, {len(self.tenants)} with a "
            "member): nothing to prove",
            "seed two tenants with a member each (configure [gates.isolation] seed)",
            severity=self.severity,
        )

    def _cannot_become(self, roles: list[str], what: str, which: str) -> Finding:
        """RLS013: the connecting role may not ``SET ROLE`` to ``roles``, so ``which`` cannot run."""
        who = self.conn.info.user
        named = ", ".join(roles)
        plural = "s" if len(roles) > 1 else ""
        return Vacuous().finding(
            "isolation",
            f"role {who} cannot SET ROLE to {what}{plural} {named}: it is not a member, so "
            f"{which} could not run",
            f"as a superuser or an admin of {named}, run `{grant_role(who, *roles)}`, "
            "or connect as a role that is a member",
            severity=self.severity,
        )

    def _seed(self) -> Path | None:
        if not self.config.seed:
            return None
        path = self.ctx.project.root / self.config.seed
        return path if path.is_file() else None

    def _tenant_candidates(self) -> list[str]:
        """Tenants with the most rows in the tables holding a tenant column, then root rows."""
        direct = [
            {"schema": t.schema, "table": t.table, "column": t.column}
            for t in self.tables
            if t.kind == "column"
        ]
        found = tenants_with_rows(self.conn, direct, "", _TENANT_CANDIDATES)
        for root in (t for t in self.tables if t.kind == "root"):
            query = sql.SQL("select {c}::text as tenant from {t} order by 1 limit {n}").format(
                c=sql.Identifier(root.column), t=root.ident, n=sql.Literal(_TENANT_CANDIDATES)
            )
            found += [r["tenant"] for r in self.conn.execute(query) if r["tenant"] not in found]
        return found

    def _choose_directions(self) -> None:
        """Both directions for every actor with a member of the tenant it acts for.

        The other side's user (whose rows user-owned tables hold) is that actor's member of
        the other tenant, or the first actor's when it has none there.
        """
        first: list[str | None] = []
        for actor in self._actors():
            users = [
                _text(find_member(self.conn, self.ctx.tenancy, t, actor)) for t in self.tenants
            ]
            first = first or users
            own = [Side(t, u) for t, u in zip(self.tenants, users, strict=True)]
            targets = [Side(t, u or f) for t, u, f in zip(self.tenants, users, first, strict=True)]
            for me, other in ((own[0], targets[1]), (own[1], targets[0])):
                if me.user is None:
                    self.notes.append(
                        f"actor {actor.name}: no member of tenant {me.tenant}, so the direction "
                        f"{me.tenant} -> {other.tenant} did not run for it"
                    )
                    continue
                self.directions.append(Direction(actor, me, other))

    def _prepare_rows(self) -> None:
        """As the connecting role: every table's rows of every side, made where missing."""
        sides = list(dict.fromkeys(s for d in self.directions for s in (d.me, d.other)))
        for table in self.tables:
            self.maker.prefetch(table, [s.value(table) for s in sides])
        for table in self.tables:
            for side in sides:
                for make in (self.maker.ensure, self.maker.template):
                    try:
                        make(table, side)
                    except Unmakeable:
                        pass  # the reason is kept; the probes needing it are unproven

    def _privileges(self) -> dict[str, dict[int, dict[str, bool]]]:
        """Per role and table, the commands expected to work on the actor's own rows.

        Granted, and covered by a permissive policy applying to the role.
        """
        roles = sorted({a.role for a in self._actors()})
        probed = sorted({*roles, self.config.anon_role}) if self.anon else roles
        rows = self.conn.execute(
            _PRIVILEGES, {"roles": probed, "oids": array_literal(t.oid for t in self.tables)}
        ).fetchall()
        for row in rows:
            self.access[row["role"]][row["oid"]] = Access(
                None if row["readable"] is None else tuple(row["readable"]),
                None if row["updatable"] is None else tuple(row["updatable"]),
                row["select"],
                row["update"],
                row["delete"],
            )
        rows = [row for row in rows if row["role"] in roles]
        covered = {
            (r["role"], r["oid"]): set(r["commands"])
            for r in self.conn.execute(
                _POLICY_COMMANDS,
                {"roles": roles, "oids": array_literal(t.oid for t in self.tables)},
            )
        }
        out: dict[str, dict[int, dict[str, bool]]] = defaultdict(dict)
        for row in rows:
            commands = covered.get((row["role"], row["oid"]), set())
            out[row["role"]][row["oid"]] = {
                c: row[c] and bool(commands & {_POLICY_CODE[c], "*"}) for c in OWN
            }
        return out

    def _bypass(self, role: str) -> list[Finding]:
        """RLS must apply to the actor: not a superuser, not BYPASSRLS, not an owner unforced."""
        rows = self.conn.execute(
            _BYPASS, {"role": role, "oids": array_literal(t.oid for t in self.tables)}
        )
        return [
            Vacuous().finding(
                row["name"],
                f"role {role} bypasses row-level security on {row['name']} ({row['why']}): "
                "the proof would prove nothing",
                f"act as a role that RLS applies to; alter table {row['name']} force row level security"
                if row["why"] == "table owner, RLS not forced"
                else "act as a role without SUPERUSER and BYPASSRLS ([tenancy.actor] role)",
                severity=Severity.ERROR,
            )
            for row in rows
        ]

    # ---------------------------------------------------------------- verdict per table

    def _by_table(self) -> dict[str, list[Outcome]]:
        grouped: dict[str, list[Outcome]] = defaultdict(list)
        for outcome in self.outcomes:
            grouped[outcome.table].append(outcome)
        return grouped

    def _unproven(self) -> list[Finding]:
        findings = []
        grouped = self._by_table()
        for table in self.tables:
            missing = [o for o in grouped[table.name] if o.result == "unproven" and _cross(o)]
            if not missing:
                continue
            reasons = sorted({f"{o.probe} ({o.direction}): {o.message}" for o in missing})
            findings.append(
                Unproven().finding(
                    table.name,
                    f"{table.name} is unproven: " + "; ".join(reasons),
                    _COLUMNS_HINT
                    if any(" may read " in (o.message or "") for o in missing)
                    else Unproven.hint_text,
                    severity=self.severity,
                    probes=sorted({o.probe for o in missing}),
                )
            )
        return findings

    def summary(self) -> dict[str, Any]:
        """What was probed, per table, for the report."""
        grouped = self._by_table()
        tables: dict[str, Any] = {}
        proven = 0
        for table in self.tables:
            outcomes = grouped[table.name]
            unproven = any(o.result == "unproven" and _cross(o) for o in outcomes)
            # A cross-tenant probe that failed (RLS030) tested nothing about isolation.
            failed = any(o.result == "error" and _cross(o) for o in outcomes)
            proven += bool(outcomes) and not unproven and not failed
            entry: dict[str, Any] = {
                "tenant": table.how,
                "status": "unproven"
                if unproven or not outcomes
                else "error"
                if failed
                else "proven",
                "rows": self._origins(table),
            }
            for probe in CROSS:
                entry[probe] = _combined([o for o in outcomes if o.probe == probe])
            entry["own"] = {
                c: _combined([o for o in outcomes if o.probe == f"own {c}"])
                for c in OWN
                if any(o.probe == f"own {c}" for o in outcomes)
            }
            entry["probes"] = [o.to_dict() for o in outcomes]
            tables[table.name] = entry
        return {
            "proven": f"proven {proven} of {len(self.tables)} tables",
            "proven_tables": proven,
            "tenant_tables": len(self.tables),
            "tenants": list(self.tenants),
            "actors": [
                {
                    "name": d.actor.name,
                    "role": d.actor.role,
                    "direction": d.label,
                    "user": d.me.user,
                }
                for d in self.directions
            ],
            "notes": self.notes,
            "tables": tables,
        }

    def _origins(self, table: TenantTable) -> dict[str, str]:
        sides = dict.fromkeys(s for d in self.directions for s in (d.me, d.other))
        return {
            str(side.value(table)): self.maker.origin.get((table.oid, side.value(table)), "none")
            for side in sides
        }


def _cross(outcome: Outcome) -> bool:
    """A probe against another tenant's rows (anon's included): unproven means not proven."""
    return outcome.probe in CROSS or outcome.probe.startswith("anon ")


def _combined(outcomes: list[Outcome]) -> str:
    """One cell of the report: the worst outcome of a probe over actors and directions."""
    if not outcomes:
        return "-"
    for result in ("leak", "error", "impossible", "unproven"):
        hit = [o for o in outcomes if o.result == result]
        if hit:
            o = hit[0]
            state = f" {o.sqlstate}" if o.sqlstate else ""
            return f"{result.upper()}{state} ({o.actor}, {o.direction})"
    if all(o.result == "n/a" for o in outcomes):
        return "n/a"
    rows = max(o.rows for o in outcomes)
    results = sorted({o.result for o in outcomes})
    return f"{'/'.join(results)} ({len(outcomes)} runs, {rows} rows)"


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _plain(name: str) -> str:
    return ".".join(split_qualified(name))


def _merged(findings: list[Finding]) -> list[Finding]:
    """One finding per check and table: both directions and every actor in its message."""
    groups: dict[tuple[str, str, bool], list[Finding]] = defaultdict(list)
    for finding in findings:
        anon = str(finding.details.get("probe", "")).startswith("anon")
        groups[(finding.check, finding.object, anon)].append(finding)
    out = []
    for group in groups.values():
        first = group[0]
        if len(group) == 1:
            out.append(first)
            continue
        messages = list(dict.fromkeys(f.message for f in group))
        details = {**first.details, "also": [f.details for f in group[1:]]}
        out.append(replace(first, message="; ".join(messages), details=details))
    return out
