"""The probes of the isolation proof, each in its own savepoint rolled back right after it.

For every actor and both directions (a member of A against B's rows, a member of B
against A's), on every tenant-scoped table: read B's rows (must see none), update
and delete them (must touch none), insert a valid row of B and move one of A's rows
to B (both must be refused). Then the positive path: for each command the actor is
granted and expected to do, it must be able to do it to its own tenant's rows. The
rows acted on are addressed by ``ctid`` (``rows.py``), found or made as the
connecting role before the actor takes over. An actor granted only some columns
(``grant select (id, name) on t``) may not read ``ctid``: its probes name rows by a key it
may read, and an UPDATE probe sets a column it may update and read. Where it may read no
key, a probe whose command it holds cannot name a row and is ``unproven`` (saying why):
a permission error the probe itself provoked is never taken for the policy refusing.
DELETE needs no key: such an actor sends ``DELETE`` with no ``WHERE`` (the one statement
it can), and the connecting role counts which rows of each tenant it removed. A probe of a
command the role holds no privilege for at all runs as it is: its 42501 is a real refusal.

Outcomes: ``refused`` (the policy's WITH CHECK or no privilege on the table, 42501; or a
constraint or trigger: its SQLSTATE and message are kept), ``leak``, ``error`` (the
statement failed for the actor, a 42501 on a function or schema included: RLS030) and
``unproven`` (no row to act on, with the reason).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from ...config import Actor
from ...db import rolled_back, set_local_role
from ...results import Finding
from ..actor import act_as
from .rls010_read import CrossTenantRead
from .rls011_change import CrossTenantChange
from .rls012_insert import CrossTenantInsert
from .rls030_policy_error import PolicyError
from .rls031_positive_path import OwnRowsImpossible
from .rows import RowMaker, Side, Unmakeable, key_match, placing_columns, row_key_match
from .tables import TenantTable

CROSS = ("read", "update", "delete", "insert", "move")
OWN = ("select", "update", "delete", "insert")
_POLICY_COMMAND = {"select": "r", "insert": "a", "update": "w", "delete": "d"}


# What PostgreSQL says when the row itself is refused: a policy's WITH CHECK, or no
# privilege on the table (or view) for the command. Every other 42501 ("permission denied
# for function", "... for schema", "... for sequence") is a statement that failed before any
# policy judged the row: the table is unusable for the actor (RLS030), and nothing about its
# isolation was exercised.
_ROW_REFUSALS = (
    "new row violates row-level security policy",
    "permission denied for table ",
    "permission denied for view ",
    "permission denied for materialized view ",
)


def _refuses_the_row(message: str) -> bool:
    return message.startswith(_ROW_REFUSALS)


@dataclass
class Outcome:
    """What one probe did."""

    table: str
    actor: str
    direction: str  # "A -> B": acting for A, on B's rows
    probe: str
    result: str  # refused, leak, error, unproven, n/a; own: ok, impossible, blocked
    rows: int = 0
    sqlstate: str | None = None
    message: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """For the evidence (no ``table``: it is the key above)."""
        data: dict[str, Any] = {
            "actor": self.actor,
            "direction": self.direction,
            "probe": self.probe,
            "result": self.result,
            "rows": self.rows,
        }
        if self.sqlstate:
            data["sqlstate"] = self.sqlstate
        if self.message:
            data["message"] = self.message
        return data


@dataclass(frozen=True)
class Access:
    """What a role may do to a table, column by column.

    ``readable``/``updatable``: the columns it holds SELECT/UPDATE on, ``None`` when it holds
    the privilege on the whole table (``ctid`` included); ``select``/``update``: on some
    column; ``delete``: on the table.
    """

    readable: tuple[str, ...] | None = None
    updatable: tuple[str, ...] | None = None
    select: bool = True
    update: bool = True
    delete: bool = True

    def may_read(self, column: str) -> bool:
        return self.readable is None or column in self.readable

    def may_update(self, column: str) -> bool:
        return self.updatable is None or column in self.updatable


@dataclass(frozen=True)
class Target:
    """How a role's statements name rows of a table: by ``ctid``, or by a key it may read."""

    key: tuple[str, ...] | None = None

    def match(self, table: TenantTable, param: str) -> sql.Composable:
        if self.key is None:
            return key_match(table, param)
        return row_key_match(table, self.key, param)


def target(table: TenantTable, access: Access) -> Target | None:
    """The way ``access`` lets statements name a row of ``table``; ``None``: there is none."""
    if access.readable is None:
        return Target()
    primary = tuple(c.name for c in table.columns if c.primary_key)
    if primary and all(access.may_read(c) for c in primary):
        return Target(primary)
    for column in table.columns:
        if column.unique_alone and column.not_null and access.may_read(column.name):
            return Target((column.name,))
    return None


def holds(access: Access, command: str, table: TenantTable) -> bool:
    """Whether the role holds the privilege ``command`` needs (``read``/``select``, ...)."""
    if command in ("read", "select"):
        return access.select
    if command == "update":
        return access.update
    if command == "delete":
        return access.delete
    if command == "move":
        return all(access.may_update(c) for c in placing_columns(table))
    return True


def unaddressable(role: str, table: TenantTable, access: Access, command: str) -> str:
    """Why ``role``'s probe ``command`` cannot name a row of ``table``."""
    if not access.readable:
        verb = {"read": "SELECT", "select": "SELECT", "move": "UPDATE"}.get(
            command, command.upper()
        )
        return (
            f"{role} holds {verb} but may read no column of {table.name}, so no statement can "
            "name a row (a WHERE needs SELECT)"
        )
    primary = [c.name for c in table.columns if c.primary_key]
    return (
        f"{role} may read only columns {', '.join(access.readable)} of {table.name}: no key it "
        f"may read names a row (primary key: {', '.join(primary) or 'none'})"
    )


@dataclass(frozen=True)
class Direction:
    """An actor acting for ``me`` against ``other``."""

    actor: Actor
    me: Side
    other: Side

    @property
    def label(self) -> str:
        return f"{self.me.tenant} -> {self.other.tenant}"


class Prober:
    """Runs the probes of one direction on every table and collects outcomes and findings."""

    def __init__(
        self,
        conn: psycopg.Connection[Any],
        maker: RowMaker,
        privileges: dict[str, dict[int, dict[str, bool]]],
        policies: dict[str, list[dict[str, Any]]],
        access: dict[str, dict[int, Access]] | None = None,
    ) -> None:
        self.conn = conn
        self.maker = maker
        self.privileges = privileges
        self.policies = policies
        self.access = access or {}
        self.outcomes: list[Outcome] = []
        self.findings: list[Finding] = []
        self._broken: set[tuple[str, str]] = set()

    # ------------------------------------------------------------ one direction

    def run(self, direction: Direction, tenancy: Any, tables: list[TenantTable]) -> None:
        """All probes of ``direction``, as its actor, inside a savepoint rolled back at the end."""
        for table in tables:  # as the connecting role: the keys the actor may name rows by
            prepare(
                self.maker, table, self._access(direction, table), [direction.me, direction.other]
            )
        with rolled_back(self.conn):
            act_as(self.conn, tenancy, direction.me.user, direction.me.tenant, direction.actor)
            for table in tables:
                self._cross(direction, table)
                self._own(direction, table)

    def _cross(self, d: Direction, table: TenantTable) -> None:
        for probe in ("read", "update", "delete"):
            theirs = self._addressed(d, table, d.other, probe)
            if isinstance(theirs, str) and probe == "delete" and self._blind(d, table):
                self._judge_blind(table, d, self._deleted_blind(table, d.other))
                continue
            if isinstance(theirs, str):
                self._record(table, d, probe, "unproven", message=theirs)
                continue
            where, keys = theirs
            statement = {
                "read": "select count(*) as n from {t} where {match}",
                "update": "update {t} set {c} = {c} where {match}",
                "delete": "delete from {t} where {match}",
            }[probe]
            column = self._update_column(d, table) if probe == "update" else None
            if isinstance(column, str):
                self._record(table, d, probe, "unproven", message=column)
                continue
            query = sql.SQL(statement).format(
                t=table.ident, c=column or sql.SQL(""), match=where.match(table, "keys")
            )
            self._judge(table, d, probe, query, {"keys": keys}, len(keys), where)
        not_applicable = _no_second_row(table)
        if not_applicable:
            for probe in ("insert", "move"):
                self._record(table, d, probe, "n/a", message=not_applicable)
            return
        template = self._template(table, d.other)
        if isinstance(template, str):
            self._record(table, d, "insert", "unproven", message=template)
        else:
            self._judge(table, d, "insert", template.insert(table), template.params, 1)
        mine = self._addressed(d, table, d.me, "move")
        if isinstance(mine, str) or isinstance(template, str):
            reason = mine if isinstance(mine, str) else template
            self._record(table, d, "move", "unproven", message=str(reason))
            return
        where, keys = mine
        move = sql.SQL("update {t} set {assign} where {match}").format(
            t=table.ident,
            assign=template.assignments(placing_columns(table)),
            match=where.match(table, "keys"),
        )
        self._judge(table, d, "move", move, {**template.params, "keys": keys[:1]}, 1)

    def _own(self, d: Direction, table: TenantTable) -> None:
        granted = self.privileges[d.actor.role][table.oid]
        for command in OWN:
            if command not in d.actor.commands or not granted[command]:
                continue
            if command == "insert":
                if _no_second_row(table):
                    continue
                template = self._template(table, d.me)
                if isinstance(template, str):
                    self._record(table, d, "own " + command, "unproven", message=template)
                    continue
                self._own_probe(table, d, command, template.insert(table), template.params, 1)
                continue
            mine = self._addressed(d, table, d.me, command)
            if isinstance(mine, str) and command == "delete" and self._blind(d, table):
                self._own_blind(table, d, self._deleted_blind(table, d.me))
                continue
            column = self._update_column(d, table) if command == "update" else None
            if isinstance(mine, str) or isinstance(column, str):
                reason = mine if isinstance(mine, str) else column
                self._record(table, d, "own " + command, "unproven", message=str(reason))
                continue
            where, keys = mine
            statement = {
                "select": "select count(*) as n from {t} where {match}",
                "update": "update {t} set {c} = {c} where {match}",
                "delete": "delete from {t} where {match}",
            }[command]
            keys = keys if command == "select" else keys[:1]
            query = sql.SQL(statement).format(
                t=table.ident, c=column or sql.SQL(""), match=where.match(table, "keys")
            )
            self._own_probe(table, d, command, query, {"keys": keys}, len(keys))

    def _access(self, d: Direction, table: TenantTable) -> Access:
        return self.access.get(d.actor.role, {}).get(table.oid, Access())

    def _addressed(
        self, d: Direction, table: TenantTable, side: Side, command: str
    ) -> tuple[Target, list[str]] | str:
        """How the actor names the side's rows for ``command``, and their names; or why not."""
        rows = self._rows(table, side)
        if isinstance(rows, str):
            return rows
        return addressed(self.maker, table, self._access(d, table), rows, d.actor.role, command)

    # ------------------------------------------------------------ running one probe

    def _execute(self, query: sql.Composable, params: dict[str, Any]) -> int | psycopg.Error:
        """Rows the statement saw or changed, in a savepoint always rolled back."""
        try:
            with rolled_back(self.conn):
                cursor = self.conn.execute(query, params)
                if cursor.description:
                    return int(cursor.fetchone()["n"])
                return cursor.rowcount
        except psycopg.Error as exc:
            return exc

    def _judge(self, table, d: Direction, probe, query, params, rows, where=None) -> None:
        got = self._execute(query, params)
        if isinstance(got, psycopg.Error):
            self._failed(table, d, probe, got, rows)
            return
        sample = sample_key(self.conn, table, params, where) if probe == "read" and got else None
        self._verdict(table, d, probe, got, rows, sample)

    def _verdict(
        self, table, d: Direction, probe, got: int, rows: int, sample=None, how=""
    ) -> None:
        """``got`` of the other tenant's ``rows`` seen or changed: a refusal, or a leak."""
        if got == 0:
            self._record(table, d, probe, "refused", rows, message="0 rows" + how)
            return
        self._record(table, d, probe, "leak", rows, message=f"{got} row(s){how}")
        check, verb = {
            "read": (CrossTenantRead(), "read {n} of {rows} row(s) of"),
            "update": (CrossTenantChange(), "updated {n} of {rows} row(s) of"),
            "delete": (CrossTenantChange(), "deleted {n} of {rows} row(s) of"),
            "insert": (CrossTenantInsert(), "inserted a row into"),
            "move": (CrossTenantInsert(), "moved one of its rows into"),
        }[probe]
        self.findings.append(
            check.finding(
                table.name,
                f"actor {d.actor.name} ({d.actor.role}) of tenant {d.me.tenant} "
                f"{verb.format(n=got, rows=rows)} tenant {d.other.tenant} in {table.name}",
                check.hint_text,
                probe=probe,
                actor=d.actor.name,
                direction=d.label,
                rows=got,
                sample_key=sample,
            )
        )

    # ------------------------------------------------------------ DELETE without SELECT

    def _blind(self, d: Direction, table: TenantTable) -> bool:
        """Whether the actor holds DELETE but can name no row: a WHERE needs SELECT."""
        access = self._access(d, table)
        return access.delete and target(table, access) is None

    def _deleted_blind(
        self, table: TenantTable, side: Side
    ) -> tuple[int, int] | psycopg.Error | str:
        """How many of ``side``'s rows a ``DELETE`` with no ``WHERE`` removed, of how many.

        The one statement such an actor can send (it needs no SELECT); what it removed is
        counted by ``ctid`` as the connecting role, before and after, in a savepoint that
        is rolled back with the delete. A side whose rows the connecting role cannot count
        (a forced policy applies to it too) cannot be judged: the reason instead.
        """
        rows = self._rows(table, side)
        if isinstance(rows, str):
            return rows
        count = sql.SQL("select count(*) as n from {} where {}").format(
            table.ident, key_match(table, "keys")
        )
        try:
            with rolled_back(self.conn):
                before = self._count_as_connecting_role(count, rows)
                self.conn.execute(sql.SQL("delete from {}").format(table.ident))
                after = self._count_as_connecting_role(count, rows)
        except psycopg.Error as exc:
            return exc
        if before != len(rows):
            return (
                f"the connecting role sees {before} of the {len(rows)} row(s) of {side.tenant} "
                f"in {table.name}: what a DELETE removed cannot be counted"
            )
        return before - after, len(rows)

    def _count_as_connecting_role(self, count: sql.Composable, rows: list[str]) -> int:
        with rolled_back(self.conn):  # the actor's role comes back with the savepoint
            self.conn.execute("set local role none")
            return int(self.conn.execute(count, {"keys": rows}).fetchone()["n"])

    def _judge_blind(self, table, d: Direction, got) -> None:
        if isinstance(got, str):
            self._record(table, d, "delete", "unproven", message=got)
        elif isinstance(got, psycopg.Error):
            kind = self._refusal(table, got)
            if kind not in ("constraint", "trigger"):
                self._failed(table, d, "delete", got, 0)
                return
            # It may have been the actor's own rows that a key or a trigger protected: which
            # tenant's rows the statement reached is unknown, so nothing is proven.
            message = (
                f"a DELETE with no WHERE was stopped by a {kind} "
                f"({got.diag.message_primary}): which tenant's rows it reached cannot be told"
            )
            self._record(table, d, "delete", "unproven", 0, got.sqlstate, message)
        else:
            deleted, rows = got
            how = " (a DELETE with no WHERE: the actor may read no key to name a row by)"
            self._verdict(table, d, "delete", deleted, rows, how=how)

    def _own_blind(self, table, d: Direction, got) -> None:
        if isinstance(got, str):
            self._record(table, d, "own delete", "unproven", message=got)
        elif isinstance(got, psycopg.Error):
            self._own_failed(table, d, "delete", got, 0)
        else:
            self._own_outcome(table, d, "delete", *got)

    def _own_probe(self, table, d: Direction, command, query, params, rows) -> None:
        got = self._execute(query, params)
        if isinstance(got, psycopg.Error):
            self._own_failed(table, d, command, got, rows)
        else:
            self._own_outcome(table, d, command, got, rows)

    def _own_failed(self, table, d: Direction, command, got: psycopg.Error, rows: int) -> None:
        probe = "own " + command
        kind = self._refusal(table, got)
        if kind is None:
            self._policy_error(table, d, probe, got)
            self._record(table, d, probe, "error", rows, got.sqlstate, got.diag.message_primary)
        elif kind == "policy":
            self._impossible(table, d, command, f"refused: {got.diag.message_primary}")
            self._record(
                table, d, probe, "impossible", rows, got.sqlstate, got.diag.message_primary
            )
        else:  # a constraint or trigger refusing this row is the data's rule, not the policy's
            self._record(
                table,
                d,
                probe,
                f"blocked by {kind}",
                rows,
                got.sqlstate,
                got.diag.message_primary,
            )

    def _own_outcome(self, table, d: Direction, command, got: int, rows: int) -> None:
        probe = "own " + command
        if got > 0:
            self._record(table, d, probe, "ok", rows, message=f"{got} row(s)")
            return
        noun = "see any" if command == "select" else f"{command} any"
        self._impossible(table, d, command, f"could not {noun} of its {rows} own row(s)")
        self._record(table, d, probe, "impossible", rows, message="0 rows")

    def _failed(self, table, d: Direction, probe, exc: psycopg.Error, rows: int) -> None:
        kind = self._refusal(table, exc)
        message = exc.diag.message_primary
        if kind is None:
            self._policy_error(table, d, probe, exc)
            self._record(table, d, probe, "error", rows, exc.sqlstate, message)
        else:
            self._record(table, d, probe, "refused", rows, exc.sqlstate, f"{kind}: {message}")

    def _refusal(self, table: TenantTable, exc: psycopg.Error) -> str | None:
        """``policy``/``constraint``/``trigger`` when the error refuses the row, else ``None``."""
        state = exc.sqlstate or ""
        if state == "42501" and _refuses_the_row(exc.diag.message_primary or ""):
            return "policy"
        if state.startswith("23"):
            return "constraint"
        context = exc.diag.context or ""
        if any(
            f"function {name}(" in context or f" {name}(" in context
            for name in table.trigger_functions
        ):
            return "trigger"
        return None

    def _policy_error(
        self, table: TenantTable, d: Direction, probe: str, exc: psycopg.Error
    ) -> None:
        if (table.name, d.actor.name) in self._broken:
            return
        self._broken.add((table.name, d.actor.name))
        self.findings.append(
            PolicyError().finding(
                table.name,
                f"{probe} on {table.name} fails for actor {d.actor.name} ({d.actor.role}) of tenant "
                f"{d.me.tenant}: {exc.sqlstate} {exc.diag.message_primary}",
                PolicyError.hint_text,
                probe=probe,
                actor=d.actor.name,
                sqlstate=exc.sqlstate,
            )
        )

    def _impossible(self, table: TenantTable, d: Direction, command: str, what: str) -> None:
        code = _POLICY_COMMAND[command]
        named = [p for p in self.policies.get(table.qualified, []) if p["command"] in (code, "*")]
        shown = ", ".join(
            f"{p['policy']} (USING {p['using_expr'] or 'none'}"
            + (f", WITH CHECK {p['check_expr']}" if p["check_expr"] else "")
            + ")"
            for p in named
        )
        self.findings.append(
            OwnRowsImpossible().finding(
                table.name,
                f"{command} is granted to {d.actor.role} on {table.name}, but actor {d.actor.name} of "
                f"tenant {d.me.tenant} {what}; {command} policies: {shown or 'none'}",
                OwnRowsImpossible.hint_text,
                command=command,
                actor=d.actor.name,
                policies=[p["policy"] for p in named],
            )
        )

    # ------------------------------------------------------------ helpers

    def _record(
        self, table, d: Direction, probe, result, rows=0, sqlstate=None, message=None
    ) -> None:
        self.outcomes.append(
            Outcome(table.name, d.actor.name, d.label, probe, result, rows, sqlstate, message)
        )

    def _rows(self, table: TenantTable, side: Side) -> list[str] | str:
        value = side.value(table)
        found = self.maker.rows(table, value)
        if found:
            return found
        return self.maker.origin.get((table.oid, value)) or f"no row of {value} and none made"

    def _template(self, table: TenantTable, side: Side):
        """The new row of ``side`` the insert probes use, or why there is none.

        A row the connecting role cannot insert either because it breaks a constraint says
        nothing about the policies: no row. One a trigger refuses is still tried: the
        trigger may be the guard (its refusal is recorded).
        """
        try:
            template = self.maker.template(table, side)
        except Unmakeable as exc:
            return f"no valid row of {side.tenant} could be built: {exc}"
        if template.error and template.error.startswith("23"):
            return f"no valid row of {side.tenant} could be built: {template.error}"
        return template

    def _update_column(self, d: Direction, table: TenantTable) -> sql.Identifier | str:
        """The column an UPDATE probe sets to itself: the actor must update and read it.

        Or why there is none. A role holding UPDATE on no column gets any column: its
        statement is refused for want of the privilege, a real refusal.
        """
        access = self._access(d, table)
        placing = placing_columns(table)
        writable = [
            c.name
            for c in table.columns
            if not c.generated and c.identity != "a" and c.name not in placing
        ]
        names = [*placing, *writable] or [table.columns[0].name]
        if not access.update:
            return sql.Identifier(names[0])
        usable = [n for n in names if access.may_update(n) and access.may_read(n)]
        if usable:
            return sql.Identifier(usable[0])
        return (
            f"{d.actor.role} may change only columns {', '.join(access.updatable or ())} of "
            f"{table.name}, and may read none of them: no column can be written back to itself"
        )


def prepare(maker: RowMaker, table: TenantTable, access: Access, sides: list[Side]) -> None:
    """As the connecting role: the keys of the sides' rows the role may name them by."""
    where = target(table, access)
    if where is not None and where.key is not None:
        rows = [r for side in sides for r in maker.rows(table, side.value(table))]
        maker.prepare_keys(table, where.key, rows)


def addressed(
    maker: RowMaker, table: TenantTable, access: Access, rows: list[str], role: str, command: str
) -> tuple[Target, list[str]] | str:
    """How ``role`` names ``rows`` (found by ``ctid``) for ``command``, and their names; or why not."""
    where = target(table, access)
    if where is None:
        if holds(access, command, table):
            return unaddressable(role, table, access, command)
        # no privilege for the command at all: any statement is refused, and that is real
        return Target(), rows
    if where.key is None:
        return where, rows
    keys = maker.keys(table, where.key, rows)
    if len(keys) != len(rows):
        return f"the key {', '.join(where.key)} of some rows of {table.name} could not be read"
    return where, keys


def sample_key(
    conn: psycopg.Connection[Any],
    table: TenantTable,
    params: dict[str, Any],
    where: Target | None = None,
) -> str | None:
    """The key of one row a read probe saw, as the current actor.

    The key the probe named rows by, else the primary key, else the ctid.
    """
    where = where or Target()
    keys = list(where.key or [c.name for c in table.columns if c.primary_key])
    shown = (
        sql.SQL(" || ',' || ").join(sql.SQL("{}::text").format(sql.Identifier(k)) for k in keys)
        if keys
        else sql.SQL("ctid::text")
    )
    query = sql.SQL("select {} as k from {} where {} limit 1").format(
        shown, table.ident, where.match(table, "keys")
    )
    try:
        with rolled_back(conn):
            row = conn.execute(query, {"keys": params["keys"]}).fetchone()
    except psycopg.Error:
        return None
    return row["k"] if row else None


def _no_second_row(table: TenantTable) -> str | None:
    """Why a tenant cannot get another row in ``table`` (no insert or move to probe)."""
    if table.kind == "root":
        return "a tenant root: its own id is the tenant"
    column = table.column_named(table.column) if table.column else None
    if column is not None and column.unique_alone:
        return f"one row per tenant: {column.name} is unique"
    return None


def probe_anon(
    conn: psycopg.Connection[Any],
    role: str,
    tables: list[TenantTable],
    maker: RowMaker,
    sides: list[Side],
    access: dict[int, Access] | None = None,
) -> tuple[list[Finding], list[Outcome]]:
    """``anon`` with no claims must see and delete none of the tenants' rows."""
    findings: list[Finding] = []
    outcomes: list[Outcome] = []
    access = access or {}
    for table in tables:  # as the connecting role, before becoming anon
        prepare(maker, table, access.get(table.oid, Access()), sides)
    with rolled_back(conn):
        set_local_role(conn, role)
        conn.execute("select set_config('request.jwt.claims', '', true)")
        for table in tables:
            rows = [k for side in sides for k in maker.rows(table, side.value(table))]
            if not rows:
                continue
            for probe, statement, check in (
                ("read", "select count(*) as n from {t} where {match}", CrossTenantRead()),
                ("delete", "delete from {t} where {match}", CrossTenantChange()),
            ):
                named = addressed(maker, table, access.get(table.oid, Access()), rows, role, probe)
                if isinstance(named, str):
                    outcomes.append(
                        Outcome(
                            table.name, role, "no user", f"anon {probe}", "unproven", message=named
                        )
                    )
                    continue
                where, keys = named
                query = sql.SQL(statement).format(t=table.ident, match=where.match(table, "keys"))
                try:
                    with rolled_back(conn):
                        cursor = conn.execute(query, {"keys": keys})
                        got = int(cursor.fetchone()["n"]) if cursor.description else cursor.rowcount
                except psycopg.Error as exc:
                    outcomes.append(
                        Outcome(
                            table.name,
                            role,
                            "no user",
                            f"anon {probe}",
                            "refused",
                            len(keys),
                            exc.sqlstate,
                            exc.diag.message_primary,
                        )
                    )
                    continue
                outcomes.append(
                    Outcome(
                        table.name,
                        role,
                        "no user",
                        f"anon {probe}",
                        "leak" if got else "refused",
                        len(keys),
                        message=f"{got} row(s)",
                    )
                )
                if got:
                    verb = "read" if probe == "read" else "deleted"
                    findings.append(
                        check.finding(
                            table.name,
                            f"anon (no claims) {verb} {got} of {len(keys)} tenant row(s) of {table.name}",
                            "policies must not match when there is no user; check grants to anon",
                            probe=f"anon {probe}",
                            rows=got,
                            sample_key=sample_key(conn, table, {"keys": keys}, where)
                            if probe == "read"
                            else None,
                        )
                    )
    return findings, outcomes
