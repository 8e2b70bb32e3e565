"""The probes of the isolation proof, each in its own savepoint.

All statements run inside the gate's rolled-back transaction. Probing as the
actor: read B's rows (must see none), update and delete B's rows (must touch
none), insert a copy of one of A's rows into B and move one of A's rows to B
(must fail with 42501). Identifiers go through ``psycopg.sql``; tenant values
are parameters.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from ...db import set_local_role
from ...results import Finding, Severity
from ..actor import act_as, find_member, role_exists, tenants_with_rows
from ..context import CheckContext
from .rls010_read import CrossTenantRead
from .rls011_change import CrossTenantChange
from .rls012_insert import CrossTenantInsert
from .rls013_vacuous import Vacuous

INSUFFICIENT_PRIVILEGE = "42501"

_COLUMNS = """
select c.oid::int as oid, a.attname as name, a.attnum,
       coalesce(a.attnum = any(i.indkey), false) as primary_key,
       (a.atthasdef or a.attidentity <> '') as has_default,
       a.attidentity = 'a' as always_identity, a.attgenerated <> '' as generated
from pg_class c join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
left join pg_index i on i.indrelid = c.oid and i.indisprimary
where c.oid = any(%(oids)s::oid[])
order by c.oid, a.attnum
"""


class Prober:
    """Runs the proof for one gate run and remembers what it probed."""

    def __init__(self, ctx: CheckContext, tables: list[dict[str, Any]]) -> None:
        self.ctx = ctx
        self.conn = ctx.conn
        self.tables = tables
        self.column = ctx.tenancy.column
        self.probed: dict[str, dict[str, str]] = {}
        self.tenants: list[Any] = []

    def summary(self) -> dict[str, Any]:
        """What was probed, per table, for the report."""
        return {
            "tenants": [str(t) for t in self.tenants],
            "actor": self.ctx.tenancy.actor.role,
            "tables": self.probed,
        }

    # ------------------------------------------------------------ the proof

    def prove(self, seed: Path | None, anon_role: str) -> list[Finding]:
        """All findings of the proof (the caller's transaction is rolled back afterwards)."""
        vacuous = Vacuous()
        self.tenants = tenants_with_rows(self.conn, self.tables, self.column)
        if len(self.tenants) < 2 and seed is not None:
            self.conn.execute(seed.read_text())
            self.tenants = tenants_with_rows(self.conn, self.tables, self.column)
        if len(self.tenants) < 2:
            return [
                vacuous.finding(
                    "isolation",
                    f"fewer than two tenants have rows in the tenant "
                    f"tables ({len(self.tenants)} found): nothing to prove",
                    "seed two tenants (configure [gates.isolation] seed)",
                )
            ]
        tenant_a, tenant_b = self.tenants
        role = self.ctx.tenancy.actor.role
        if not role_exists(self.conn, role):
            return [
                vacuous.finding(
                    "isolation",
                    f"actor role {role} does not exist",
                    "create it, or set [tenancy.actor] role",
                )
            ]
        user = find_member(self.conn, self.ctx.tenancy, tenant_a)
        if user is None:
            return [
                vacuous.finding(
                    "isolation",
                    f"no member of tenant {tenant_a} found by member_query",
                    "fix [tenancy.actor] member_query or seed a membership",
                )
            ]
        columns = self._columns()
        own_rows = {t["name"]: self._count(t, tenant_a) for t in self.tables}
        findings = self._bypass_check(role)
        if findings:
            return findings
        with self.conn.transaction():
            act_as(self.conn, self.ctx.tenancy, user, tenant_a)
            for table in self.tables:
                findings.extend(
                    self._probe_table(
                        table, tenant_a, tenant_b, columns[table["oid"]], own_rows[table["name"]]
                    )
                )
        if role_exists(self.conn, anon_role):
            findings.extend(self._probe_anon(anon_role, tenant_b))
        return findings

    def _bypass_check(self, role: str) -> list[Finding]:
        """RLS must really apply to the actor: with row_security off, reading a tenant table must fail."""
        table = self.tables[0]
        try:
            with self.conn.transaction():
                set_local_role(self.conn, role)
                self.conn.execute("set local row_security = off")
                self.conn.execute(sql.SQL("select 1 from {} limit 1").format(_ident(table)))
        except psycopg.Error:
            return []
        return [
            Vacuous().finding(
                table["name"],
                f"role {role} bypasses row-level security on {table['name']} "
                "(superuser, BYPASSRLS, table owner without FORCE, or RLS off): the proof would prove nothing",
                f"act as a role that RLS applies to; alter table {table['name']} force row level security",
                severity=Severity.ERROR,
            )
        ]

    def _probe_table(
        self,
        table: dict[str, Any],
        tenant_a: Any,
        tenant_b: Any,
        columns: list[dict[str, Any]],
        own_rows: int,
    ) -> list[Finding]:
        name = table["name"]
        probes: dict[str, str] = {}
        findings: list[Finding] = []
        pk = [c["name"] for c in columns if c["primary_key"]] or ["ctid"]
        target = _ident(table)
        col = sql.Identifier(self.column)
        keys = sql.SQL(", ").join(
            sql.Identifier(k) if k != "ctid" else sql.SQL("ctid::text") for k in pk
        )

        # read
        seen = self._try(
            sql.SQL("select {keys} from {t} where {col} is distinct from %(a)s limit 1").format(
                keys=keys, t=target, col=col
            ),
            {"a": tenant_a},
        )
        probes["read"] = self._record(
            seen,
            findings,
            CrossTenantRead(),
            name,
            f"the actor of tenant {tenant_a} read rows of another tenant",
        )
        visible_own = self._try(
            sql.SQL("select 1 from {t} where {col} = %(a)s limit 1").format(t=target, col=col),
            {"a": tenant_a},
        )
        if own_rows and isinstance(visible_own, list) and not visible_own:
            findings.append(
                Vacuous().finding(
                    name,
                    f"the actor of tenant {tenant_a} cannot see its own {own_rows} row(s) in {name}",
                    "the policy may be over-restrictive, or the actor setup does not match it",
                )
            )
        # update and delete B's rows
        for verb, statement in (
            (
                "update",
                sql.SQL("update {t} set {col} = {col} where {col} = %(b)s returning {keys}"),
            ),
            ("delete", sql.SQL("delete from {t} where {col} = %(b)s returning {keys}")),
        ):
            changed = self._try(statement.format(t=target, col=col, keys=keys), {"b": tenant_b})
            probes[verb] = self._record(
                changed,
                findings,
                CrossTenantChange(),
                name,
                f"the actor of tenant {tenant_a} could {verb} rows of tenant {tenant_b}",
            )
        # insert a copy of A's row into B, and move A's row to B: both must fail with 42501
        if isinstance(visible_own, list) and visible_own:
            copy = [
                c["name"]
                for c in columns
                if not c["generated"]
                and not c["always_identity"]
                and not (c["primary_key"] and c["has_default"])
                and c["name"] != self.column
            ]
            names = sql.SQL(", ").join(map(sql.Identifier, copy))
            insert = sql.SQL(
                "insert into {t} ({names}{sep}{col}) select {names}{sep}%(b)s from {t} "
                "where {col} = %(a)s limit 1"
            ).format(t=target, names=names, sep=sql.SQL(", " if copy else ""), col=col)
            probes["insert"] = self._must_fail(
                insert,
                {"a": tenant_a, "b": tenant_b},
                findings,
                name,
                f"the actor of tenant {tenant_a} inserted a row into tenant {tenant_b}",
            )
            move = sql.SQL(
                "update {t} set {col} = %(b)s where ctid = (select ctid from {t} where {col} = %(a)s "
                "limit 1)"
            ).format(t=target, col=col)
            probes["move"] = self._must_fail(
                move,
                {"a": tenant_a, "b": tenant_b},
                findings,
                name,
                f"the actor of tenant {tenant_a} moved a row into tenant {tenant_b}",
            )
        else:
            probes["insert"] = probes["move"] = (
                "not run: the actor sees none of its own rows to copy"
            )
        self.probed[name] = probes
        return findings

    def _probe_anon(self, anon_role: str, tenant_b: Any) -> list[Finding]:
        findings: list[Finding] = []
        with self.conn.transaction():
            set_local_role(self.conn, anon_role)
            self.conn.execute("select set_config('request.jwt.claims', '', true)")
            for table in self.tables:
                seen = self._try(
                    sql.SQL("select {col}::text as tenant from {t} limit 1").format(
                        col=sql.Identifier(self.column), t=_ident(table)
                    ),
                    {},
                )
                if isinstance(seen, list) and seen:
                    findings.append(
                        CrossTenantRead().finding(
                            table["name"],
                            f"anon (no claims) read rows of {table['name']} (tenant {seen[0]['tenant']})",
                            "policies must not match when there is no user; check grants to anon",
                            probe="anon read",
                            tenant=seen[0]["tenant"],
                        )
                    )
                changed = self._try(
                    sql.SQL("delete from {t} where {col} = %(b)s returning 1").format(
                        t=_ident(table), col=sql.Identifier(self.column)
                    ),
                    {"b": tenant_b},
                )
                if isinstance(changed, list) and changed:
                    findings.append(
                        CrossTenantChange().finding(
                            table["name"],
                            f"anon (no claims) deleted rows of {table['name']}",
                            "policies must not match when there is no user",
                            probe="anon delete",
                        )
                    )
        return findings

    # ------------------------------------------------------------ helpers

    def _try(
        self, query: sql.Composable, params: dict[str, Any]
    ) -> list[dict[str, Any]] | psycopg.Error:
        """Rows of ``query`` in its own savepoint, or the error it raised (undone)."""
        try:
            with self.conn.transaction():
                cursor = self.conn.execute(query, params)
                return cursor.fetchall() if cursor.description else []
        except psycopg.Error as exc:
            return exc

    def _record(
        self, outcome: Any, findings: list[Finding], check: Any, name: str, message: str
    ) -> str:
        if isinstance(outcome, psycopg.Error):
            if outcome.sqlstate == INSUFFICIENT_PRIVILEGE:
                return "blocked (no privilege)"
            findings.append(
                Vacuous().finding(
                    name,
                    f"probe failed: {outcome.diag.message_primary}",
                    "see the error; the probe could not run",
                )
            )
            return f"error {outcome.sqlstate}"
        if outcome:
            key = next(iter(outcome[0].values()))
            findings.append(
                check.finding(
                    name,
                    f"{message} (one key: {key})",
                    check.hint_text,
                    sample_key=str(key),
                    rows=len(outcome),
                )
            )
            return f"LEAK ({len(outcome)} row(s))"
        return "ok (0 rows)"

    def _must_fail(
        self,
        query: sql.Composable,
        params: dict[str, Any],
        findings: list[Finding],
        name: str,
        message: str,
    ) -> str:
        # No RETURNING here: it would apply the SELECT policy to the new row and turn a real
        # leak into an error that looks like a block.
        try:
            with self.conn.transaction():
                count = self.conn.execute(query, params).rowcount
        except psycopg.Error as exc:
            if exc.sqlstate == INSUFFICIENT_PRIVILEGE:
                return "ok (42501)"
            findings.append(
                Vacuous().finding(
                    name,
                    f"insert/move probe inconclusive: {exc.sqlstate} {exc.diag.message_primary}",
                    "make a copied row valid (defaults for unique columns), so the proof can run",
                )
            )
            return f"inconclusive ({exc.sqlstate})"
        if count > 0:
            findings.append(
                CrossTenantInsert().finding(name, message, CrossTenantInsert.hint_text, rows=count)
            )
            return "LEAK"
        return "ok (0 rows)"

    def _columns(self) -> dict[int, list[dict[str, Any]]]:
        rows = self.conn.execute(_COLUMNS, {"oids": [t["oid"] for t in self.tables]}).fetchall()
        out: dict[int, list[dict[str, Any]]] = {t["oid"]: [] for t in self.tables}
        for row in rows:
            out[row["oid"]].append(row)
        return out

    def _count(self, table: dict[str, Any], tenant: Any) -> int:
        query = sql.SQL("select count(*) as n from {} where {} = %s").format(
            _ident(table), sql.Identifier(self.column)
        )
        return int(self.conn.execute(query, (tenant,)).fetchone()["n"])


def _ident(table: dict[str, Any]) -> sql.Identifier:
    return sql.Identifier(table["schema"], table["table"])
