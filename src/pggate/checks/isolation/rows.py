"""The rows the probes act on: found by tenant, or made when the seed left none.

Everything here runs as the connecting role, inside the gate's rolled-back
transaction, before the proof switches to an actor. A row is addressed by its
``ctid`` (with ``tableoid`` on a partitioned table): a probe rolled back to its
savepoint leaves the row where it was, so the address holds for the whole proof.

When a table has no row of a tenant, ``RowMaker.ensure`` inserts a minimal one: column
defaults and generated values as they are, the tenant column set, foreign keys pointing
at that tenant's parent rows (made the same way where missing; a nullable key left
NULL; a parent that is not tenant-scoped: any of its rows), and a value of the right
type for every other NOT NULL column. When it cannot (a check constraint, a trigger, a
parent it cannot make, a type it has no value for), the reason is kept and the table is
unproven. ``template`` is the same row as an INSERT the probes run as the actor: into
their own tenant (the positive path) and into the other one (which must be refused).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

from ...db import rolled_back
from .tables import Column, ForeignKey, TenantTable

ROW_CAP = 50  # rows of a tenant the probes address, per table
ATTEMPTS = 4  # variants of a new row tried after unique violations


@dataclass(frozen=True)
class Side:
    """One tenant of the proof and the user acting for it."""

    tenant: str
    user: str | None

    def value(self, table: TenantTable) -> str | None:
        """The table's tenant value for this side (the user, for user-owned tables)."""
        return self.user if table.domain == "user" else self.tenant


@dataclass
class Template:
    """A new row as an INSERT: column names, SQL values, their parameters."""

    columns: list[str] = field(default_factory=list)
    values: list[sql.Composable] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    error: str | None = None  # why it did not insert as the connecting role (None: it did)

    def insert(self, table: TenantTable, returning: bool = False) -> sql.Composable:
        """``insert into table (...) values (...)`` (``returning`` its address)."""
        tail = sql.SQL(" returning {} as k").format(key_expr(table)) if returning else sql.SQL("")
        if not self.columns:
            return sql.SQL("insert into {} default values{}").format(table.ident, tail)
        return sql.SQL("insert into {} ({}) values ({}){}").format(
            table.ident,
            sql.SQL(", ").join(map(sql.Identifier, self.columns)),
            sql.SQL(", ").join(self.values),
            tail,
        )

    def assignments(self, names: list[str]) -> sql.Composable:
        """``a = value, b = value`` for ``names`` (the columns that place a row in a tenant)."""
        index = {c: i for i, c in enumerate(self.columns)}
        return sql.SQL(", ").join(
            sql.SQL("{} = {}").format(sql.Identifier(n), self.values[index[n]])
            for n in names
            if n in index
        )


def key_expr(table: TenantTable) -> sql.Composable:
    """A row's address as text."""
    if table.partitioned:
        return sql.SQL("tableoid::int::text || ':' || ctid::text")
    return sql.SQL("ctid::text")


def key_match(table: TenantTable, param: str) -> sql.Composable:
    """``where`` condition: the row's address is one of ``%(param)s``."""
    if table.partitioned:
        return sql.SQL("tableoid::int::text || ':' || ctid::text = any({}::text[])").format(
            sql.Placeholder(param)
        )
    return sql.SQL("ctid = any({}::tid[])").format(sql.Placeholder(param))


def row_key(columns: tuple[str, ...]) -> sql.Composable:
    """A row's key ``columns`` as one text (one column: its text; several: the row's)."""
    if len(columns) == 1:
        return sql.SQL("{}::text").format(sql.Identifier(columns[0]))
    return sql.SQL("row({})::text").format(sql.SQL(", ").join(map(sql.Identifier, columns)))


def row_key_match(table: TenantTable, columns: tuple[str, ...], param: str) -> sql.Composable:
    """``where`` condition: the row's key ``columns`` is one of ``%(param)s`` (``row_key`` texts).

    One column is compared as its own type, so its index serves.
    """
    if len(columns) == 1:
        column = table.column_named(columns[0])
        assert column is not None
        return sql.SQL("{} = any({}::{}[])").format(
            sql.Identifier(column.name), sql.Placeholder(param), sql.SQL(column.type)
        )
    return sql.SQL("{} = any({}::text[])").format(row_key(columns), sql.Placeholder(param))


def placing_columns(table: TenantTable) -> list[str]:
    """The columns that place a row in its tenant.

    The tenant column and every foreign key sharing it (``(organization_id,
    project_id)``), or the chain's key.
    """
    if table.kind == "chain":
        assert table.via is not None
        return list(table.via.cols)
    names = [table.column] if table.column else []
    for fk in table.foreign_keys:
        if table.column in fk.cols:
            names += [c for c in fk.cols if c not in names]
    return names


class Unmakeable(Exception):
    """A row pggate cannot make; the message says why."""


class RowMaker:
    """Finds and makes rows per table and tenant value; remembers where each came from."""

    def __init__(
        self, conn: psycopg.Connection[Any], tables: list[TenantTable], members_table: str = ""
    ) -> None:
        self.conn = conn
        self.members_table = members_table
        self.by_oid = {t.oid: t for t in tables}
        self._rows: dict[tuple[int, str | None], list[str]] = {}
        self.origin: dict[tuple[int, str | None], str] = {}
        self._templates: dict[tuple[int, Side], Template | str] = {}
        self._making: set[tuple[int, str | None]] = set()
        self._keys: dict[tuple[int, tuple[str, ...]], dict[str, str]] = {}

    # ---------------------------------------------------------------- finding

    def prefetch(self, table: TenantTable, values: list[str | None]) -> None:
        """Find the rows of several tenant values of ``table`` in one query."""
        wanted = [v for v in dict.fromkeys(values) if (table.oid, v) not in self._rows]
        if not wanted:
            return
        for v in wanted:
            self._rows[(table.oid, v)] = []
        present = [v for v in wanted if v is not None]
        if not present:
            return
        parts = [
            sql.SQL(
                "(select {i}::int as i, {key} as k from {t} t where {tenant} = {v} limit {cap})"
            ).format(
                i=sql.Literal(i),
                key=key_expr(table),
                t=table.ident,
                tenant=table.tenant_expr(),
                v=sql.Placeholder(f"v{i}"),
                cap=sql.Literal(ROW_CAP),
            )
            for i in range(len(present))
        ]
        query = sql.SQL(" union all ").join(parts)
        rows = self.conn.execute(query, {f"v{i}": v for i, v in enumerate(present)}).fetchall()
        for row in rows:
            self._rows[(table.oid, present[row["i"]])].append(row["k"])
        for v in present:
            if self._rows[(table.oid, v)]:
                self.origin[(table.oid, v)] = f"{len(self._rows[(table.oid, v)])} existing"

    def rows(self, table: TenantTable, value: str | None) -> list[str]:
        """Addresses of rows of ``value`` in ``table`` (found, or made by ``ensure``)."""
        self.prefetch(table, [value])
        return self._rows[(table.oid, value)]

    def prepare_keys(
        self, table: TenantTable, columns: tuple[str, ...], addresses: list[str]
    ) -> None:
        """Read the ``columns`` key of the rows at ``addresses`` (as the connecting role).

        For an actor that may read only some columns: its probes name rows by a key it may
        read (``keys``), not by ``ctid``, which only table-level SELECT covers.
        """
        cache = self._keys.setdefault((table.oid, columns), {})
        missing = [a for a in dict.fromkeys(addresses) if a not in cache]
        if not missing:
            return
        query = sql.SQL("select {} as a, {} as k from {} where {}").format(
            key_expr(table), row_key(columns), table.ident, key_match(table, "a")
        )
        for row in self.conn.execute(query, {"a": missing}).fetchall():
            cache[row["a"]] = row["k"]

    def keys(self, table: TenantTable, columns: tuple[str, ...], addresses: list[str]) -> list[str]:
        """The keys ``prepare_keys`` read for ``addresses`` (no query: the actor may be acting)."""
        cache = self._keys.get((table.oid, columns), {})
        return [cache[a] for a in addresses if a in cache]

    # ---------------------------------------------------------------- making

    def ensure(self, table: TenantTable, side: Side) -> list[str]:
        """Rows of the side's tenant in ``table``; makes one when there is none."""
        value = side.value(table)
        found = self.rows(table, value)
        if found:
            return found
        key = (table.oid, value)
        if value is None:
            raise Unmakeable(f"no user to own a row of {table.name}")
        if key in self._making:
            raise Unmakeable(f"{table.name} needs a parent row that needs {table.name} first")
        self._making.add(key)
        try:
            self._refuse_members(table)
            made = self._insert(table, side)
        except Unmakeable as exc:
            self.origin[key] = f"none, and none could be made: {exc}"
            raise
        finally:
            self._making.discard(key)
        self._rows[key] = [made]
        self.origin[key] = "1 synthesized"
        return self._rows[key]

    def _refuse_members(self, table: TenantTable) -> None:
        # A made membership would change who may see what: the proof would test itself.
        if table.name == self.members_table:
            raise Unmakeable(f"pggate never adds rows to the members table {table.name}")

    def _insert(self, table: TenantTable, side: Side) -> str:
        template = self.template(table, side)
        if template.error:
            raise Unmakeable(template.error)
        with self.conn.transaction():
            cursor = self.conn.execute(template.insert(table, returning=True), template.params)
            return cursor.fetchone()["k"]

    def template(self, table: TenantTable, side: Side) -> Template:
        """A new row of the side's tenant in ``table``, tried as the connecting role.

        Up to ``ATTEMPTS`` variants (fresh values, other parent rows) until one inserts
        (rolled back); ``error`` says why none did. Raises ``Unmakeable`` when no row
        can even be written down.
        """
        key = (table.oid, side)
        cached = self._templates.get(key)
        if isinstance(cached, str):
            raise Unmakeable(cached)
        if cached is not None:
            return cached
        made: Template | None = None
        try:
            for attempt in range(ATTEMPTS):
                made = self._build(table, side, attempt)
                if self._valid(table, made) or not made.error.startswith("23505"):
                    break
        except Unmakeable as exc:
            self._templates[key] = str(exc)
            raise
        assert made is not None
        if made.error:
            # What a constraint wants (a path under the tenant's folder) an existing row has.
            clone = self._clone(table, side)
            if clone is not None and self._valid(table, clone):
                made = clone
        self._templates[key] = made
        return made

    def _valid(self, table: TenantTable, template: Template) -> bool:
        failure = self._try(table, template)
        template.error = failure and f"{failure.sqlstate} {failure.diag.message_primary}"
        return failure is None

    def _clone(self, table: TenantTable, side: Side) -> Template | None:
        """A copy of one of the side's rows, its unique columns made fresh."""
        keys = self._rows.get((table.oid, side.value(table))) or []
        copied = [c for c in table.columns if not c.generated and c.identity != "a"]
        if not keys or not copied:
            return None
        row = self.conn.execute(
            sql.SQL("select {} from {} where {} limit 1").format(
                sql.SQL(", ").join(
                    sql.SQL("{}::text as {}").format(sql.Identifier(c.name), sql.Identifier(c.name))
                    for c in copied
                ),
                table.ident,
                key_match(table, "keys"),
            ),
            {"keys": keys[:1]},
        ).fetchone()
        out = Template()
        tag = secrets.token_hex(4)
        placing = set(placing_columns(table))
        for column in copied:
            value = row[column.name]
            if column.name in placing:
                pass  # what places the row in its tenant stays
            elif column.unique and (column.has_default or column.identity):
                continue  # its default makes a fresh one
            elif column.unique and value is not None:
                if column.typname == "uuid":
                    out.columns.append(column.name)
                    out.values.append(sql.SQL("gen_random_uuid()"))
                    continue
                value = f"{value}-{tag}" if column.category == "S" else type_value(column, True)[1]
            out.params[f"p{len(out.params)}"] = value
            out.columns.append(column.name)
            out.values.append(sql.Placeholder(f"p{len(out.params) - 1}"))
        return out

    def _try(self, table: TenantTable, template: Template) -> psycopg.Error | None:
        try:
            with rolled_back(self.conn):
                self.conn.execute(template.insert(table), template.params)
        except psycopg.Error as exc:
            return exc
        return None

    def _build(self, table: TenantTable, side: Side, attempt: int) -> Template:
        out = Template()
        columns = {c.name: c for c in table.columns}

        def assign(name: str, expr: sql.Composable | None = None, param: Any = None) -> None:
            # A parameter is sent untyped: the target column gives it its type.
            if expr is None:
                expr = sql.Placeholder(f"p{len(out.params)}")
                out.params[f"p{len(out.params)}"] = param
            out.columns.append(name)
            out.values.append(expr)

        if table.kind == "chain":
            assert table.via is not None and table.parent is not None
            parent_key = self._parent_key(table.parent, side, table.via)
            for name, val in zip(table.via.cols, parent_key, strict=True):
                assign(name, param=val)
        elif table.column:
            assign(table.column, param=side.value(table))
        for fk in table.foreign_keys:
            self._foreign_key(table, fk, side, columns, out, assign, attempt)
        for column in table.columns:
            if column.name in out.columns or _filled_by_server(column):
                continue
            if not column.not_null:
                continue
            made = type_value(column, fresh=attempt > 0)
            if made is None:
                raise Unmakeable(
                    f"column {column.name} ({column.type}) is NOT NULL without a default, and "
                    "pggate has no value for its type"
                )
            assign(column.name, *made)
        return out

    def _foreign_key(
        self, table, fk: ForeignKey, side, columns, out: Template, assign, attempt: int
    ) -> None:
        if table.via is not None and fk.name == table.via.name:
            return
        own = [c for c in fk.cols if c not in out.columns]
        if not own:
            return
        if any(not columns[c].not_null for c in own if c in columns):
            # MATCH SIMPLE: a NULL in the key means no parent is needed; the nullable ones stay
            # NULL (written only over a default, which may name some parent: a column the row
            # leaves out needs no INSERT privilege of the actor's)
            nulled = [c for c in own if not columns[c].not_null and columns[c].has_default]
            out.columns.extend(nulled)
            out.values.extend(sql.SQL("null") for _ in nulled)
            return
        parent = self.by_oid.get(fk.parent)
        if parent is not None:
            values = self._parent_key(parent, side, fk, attempt)
        else:
            values = self._any_parent(fk, attempt)
        index = {c: i for i, c in enumerate(out.columns)}
        for name, val in zip(fk.cols, values, strict=True):
            if name in index:
                continue  # the tenant column: the parent row belongs to that tenant
            assign(name, param=val)

    def _parent_key(
        self, parent: TenantTable, side: Side, fk: ForeignKey, attempt: int = 0
    ) -> list[Any]:
        try:
            keys = self.ensure(parent, side)
        except Unmakeable as exc:
            raise Unmakeable(f"it needs a row of {parent.name}: {exc}") from None
        if attempt >= max(2, len(keys)):
            try:
                keys = [self._new_row(parent, side)]  # every existing parent is taken: one more
            except Unmakeable:
                pass
        keys = keys[attempt % len(keys) :][:1]
        row = self.conn.execute(
            sql.SQL("select {} from {} where {} limit 1").format(
                sql.SQL(", ").join(
                    sql.SQL("{}::text").format(sql.Identifier(c)) for c in fk.refcols
                ),
                parent.ident,
                key_match(parent, "keys"),
            ),
            {"keys": keys},
        ).fetchone()
        if row is None:
            raise Unmakeable(f"the row of {parent.name} it needs is gone")
        return list(row.values())

    def _new_row(self, table: TenantTable, side: Side) -> str:
        """One more row of the side's tenant in ``table`` (kept, like ``ensure``'s)."""
        self._refuse_members(table)
        for attempt in range(1, ATTEMPTS):
            template = self._build(table, side, attempt)
            try:
                with self.conn.transaction():
                    cursor = self.conn.execute(
                        template.insert(table, returning=True), template.params
                    )
                    made = cursor.fetchone()["k"]
            except psycopg.Error:
                continue
            self._rows.setdefault((table.oid, side.value(table)), []).append(made)
            return made
        raise Unmakeable(f"no further row of {table.name} could be made")

    def _any_parent(self, fk: ForeignKey, attempt: int) -> list[Any]:
        row = self.conn.execute(
            sql.SQL("select {} from {} offset {} limit 1").format(
                sql.SQL(", ").join(
                    sql.SQL("{}::text").format(sql.Identifier(c)) for c in fk.refcols
                ),
                sql.Identifier(*fk.parent_name.split(".", 1)),
                sql.Literal(attempt),
            )
        ).fetchone()
        if row is None and attempt:
            return self._any_parent(fk, 0)
        if row is None:
            raise Unmakeable(
                f"foreign key {fk.name} needs a row in {fk.parent_name}, which is empty"
            )
        return list(row.values())


def _filled_by_server(column: Column) -> bool:
    return column.generated or column.identity != "" or column.has_default


def type_value(column: Column, fresh: bool = False) -> tuple[sql.Composable | None, Any] | None:
    """A value of the column's type: ``(expression, None)`` or ``(None, parameter)``.

    ``None`` when pggate knows no value for the type. Text is unique-looking (and an
    e-mail address for a column named so); numbers are 1, or random when ``fresh``.
    """
    tag = secrets.token_hex(4)
    if column.first_label is not None:
        return None, column.first_label
    expressions = {
        "uuid": "gen_random_uuid()",
        "json": "'{}'::json",
        "jsonb": "'{}'::jsonb",
        "bytea": "'\\x00'::bytea",
    }
    if column.typname in expressions:
        return sql.SQL(expressions[column.typname]), None
    if column.category == "D":
        return sql.SQL("now()::{}").format(sql.SQL(column.type)), None
    if column.category == "S":
        return None, f"pggate-{tag}@example.test" if "mail" in column.name else f"pggate-{tag}"
    by_category = {
        "N": str(int(tag, 16) % 100_000 + 2) if fresh else "1",
        "B": "false",
        "T": "1 hour",
        "A": "{}",
        "I": "127.0.0.1",
    }
    if column.category in by_category:
        return None, by_category[column.category]
    return None
