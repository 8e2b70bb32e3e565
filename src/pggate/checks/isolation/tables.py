"""Which tables the proof probes, and how each one's tenant is found.

One catalog pass for all candidate tables (exposed, plus ``[tenancy] tables``):
their columns with types and defaults, their foreign keys, relkind and trigger
functions. Then, in Python, each table's tenancy, in this order: a
``table_columns`` entry, ``roots`` (its primary key is the tenant),
``user_tables`` (the user is the tenant), a ``parents`` override, one of the tenant
columns, and finally a foreign key chain of at most ``fk_hops`` hops to a table whose
tenant is known (``messages -> chats -> workspace_id``). A configured table whose
tenancy cannot be found is a problem the gate reports, not a crash.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from psycopg import sql

from ...config import Tenancy
from ...db import split_qualified
from ..context import CheckContext, array_literal

_COLUMNS = """
select a.attrelid::int as oid, a.attname as name, a.attnum,
       format_type(a.atttypid, a.atttypmod) as type, bt.typname, bt.typcategory as category,
       a.attnotnull as not_null, a.atthasdef as has_default, a.attidentity as identity,
       a.attgenerated <> '' as generated, coalesce(a.attnum = any(i.indkey), false) as primary_key,
       exists (select 1 from pg_index x where x.indrelid = a.attrelid and x.indisunique
               and a.attnum = any(x.indkey)) as unique,
       exists (select 1 from pg_index x where x.indrelid = a.attrelid and x.indisunique
               and x.indnkeyatts = 1 and x.indkey[0] = a.attnum and x.indpred is null) as unique_alone,
       (select e.enumlabel from pg_enum e where e.enumtypid = bt.oid
        order by e.enumsortorder limit 1) as first_label
from pg_attribute a
join pg_type t on t.oid = a.atttypid
join pg_type bt on bt.oid = case when t.typtype = 'd' then t.typbasetype else t.oid end
left join pg_index i on i.indrelid = a.attrelid and i.indisprimary
where a.attrelid = any(%(oids)s::oid[]) and a.attnum > 0 and not a.attisdropped
order by a.attrelid, a.attnum
"""

_FOREIGN_KEYS = """
select c.conrelid::int as oid, c.conname as name, c.confrelid::int as parent,
       pn.nspname as parent_schema, pc.relname as parent_table,
       array(select a.attname::text from unnest(c.conkey) with ordinality k(n, o)
             join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.n order by k.o) as cols,
       array(select a.attname::text from unnest(c.confkey) with ordinality k(n, o)
             join pg_attribute a on a.attrelid = c.confrelid and a.attnum = k.n order by k.o) as refcols
from pg_constraint c
join pg_class pc on pc.oid = c.confrelid
join pg_namespace pn on pn.oid = pc.relnamespace
where c.contype = 'f' and c.conrelid = any(%(oids)s::oid[])
order by c.conrelid, c.conname
"""

_RELATIONS = """
select c.oid::int as oid, c.relkind,
       coalesce((select array_agg(p.proname::text) from pg_trigger tg join pg_proc p on p.oid = tg.tgfoid
                 where tg.tgrelid = c.oid and not tg.tgisinternal), '{}') as trigger_functions
from pg_class c where c.oid = any(%(oids)s::oid[])
"""


@dataclass(frozen=True)
class Column:
    """One column of a candidate table, as the row maker needs it."""

    name: str
    type: str
    typname: str
    category: str
    not_null: bool
    has_default: bool
    identity: str
    generated: bool
    primary_key: bool
    unique: bool
    unique_alone: bool
    first_label: str | None


@dataclass(frozen=True)
class ForeignKey:
    """A foreign key of a candidate table."""

    name: str
    parent: int
    parent_name: str
    cols: tuple[str, ...]
    refcols: tuple[str, ...]


@dataclass
class TenantTable:
    """A tenant-scoped table and how its tenant was found.

    ``kind``: ``column`` (its ``column`` holds the tenant), ``root`` (its primary key
    ``column`` is the tenant), ``user`` (its ``column`` holds the user, who is the
    tenant) or ``chain`` (through foreign key ``via`` to ``parent``). ``domain`` is what
    its tenant values are: tenants, or users (a user table, or a chain ending in one).
    """

    oid: int
    schema: str
    table: str
    name: str
    kind: str
    how: str
    columns: list[Column]
    foreign_keys: list[ForeignKey]
    partitioned: bool = False
    trigger_functions: tuple[str, ...] = ()
    column: str | None = None
    via: ForeignKey | None = None
    parent: TenantTable | None = None
    domain: str = "tenant"
    hops: int = 0
    qualified: str = ""

    @property
    def ident(self) -> sql.Identifier:
        """The table, quoted."""
        return sql.Identifier(self.schema, self.table)

    def tenant_expr(self, alias: str = "t", depth: int = 0) -> sql.Composable:
        """SQL for a row's tenant (as ``alias``), a join up the chain for chain tables."""
        if self.kind != "chain":
            return sql.SQL("{}.{}").format(sql.Identifier(alias), sql.Identifier(self.column))
        assert self.via is not None and self.parent is not None
        inner = f"p{depth}"
        match = sql.SQL(" and ").join(
            sql.SQL("{}.{} = {}.{}").format(
                sql.Identifier(inner),
                sql.Identifier(ref),
                sql.Identifier(alias),
                sql.Identifier(col),
            )
            for col, ref in zip(self.via.cols, self.via.refcols, strict=True)
        )
        return sql.SQL("(select {} from {} {} where {})").format(
            self.parent.tenant_expr(inner, depth + 1),
            self.parent.ident,
            sql.Identifier(inner),
            match,
        )

    def column_named(self, name: str) -> Column | None:
        """The column ``name``."""
        return next((c for c in self.columns if c.name == name), None)


@dataclass
class Discovery:
    """The tenant-scoped tables, and the configuration problems met finding them."""

    tables: list[TenantTable] = field(default_factory=list)
    problems: list[tuple[str, str, str]] = field(default_factory=list)  # (object, message, hint)


def discover(ctx: CheckContext) -> Discovery:
    """Every tenant-scoped table with its tenancy (a few catalog queries for all tables)."""
    tenancy = ctx.tenancy
    candidates = {t.oid: t for t in ctx.table_security()}
    if not candidates:
        return Discovery()
    oids = {"oids": array_literal(candidates)}
    conn = ctx.conn
    columns: dict[int, list[Column]] = {oid: [] for oid in candidates}
    for row in conn.execute(_COLUMNS, oids).fetchall():
        columns[row["oid"]].append(
            Column(**{k: v for k, v in row.items() if k not in ("oid", "attnum")})
        )
    fks: dict[int, list[ForeignKey]] = {oid: [] for oid in candidates}
    for row in conn.execute(_FOREIGN_KEYS, oids).fetchall():
        fks[row["oid"]].append(
            ForeignKey(
                row["name"],
                row["parent"],
                f"{row['parent_schema']}.{row['parent_table']}",
                tuple(row["cols"]),
                tuple(row["refcols"]),
            )
        )
    relations = {r["oid"]: r for r in conn.execute(_RELATIONS, oids).fetchall()}

    def make(oid: int, kind: str, how: str, **extra: Any) -> TenantTable:
        t = candidates[oid]
        return TenantTable(
            oid,
            t.schema,
            t.table,
            t.name,
            kind,
            how,
            columns[oid],
            fks[oid],
            partitioned=relations[oid]["relkind"] == "p",
            trigger_functions=tuple(relations[oid]["trigger_functions"]),
            qualified=t.qualified,
            **extra,
        )

    return _Resolver(tenancy, candidates, columns, fks, make).resolve(ctx)


class _Resolver:
    """Applies the tenancy rules in order; see the module docstring."""

    def __init__(self, tenancy: Tenancy, candidates: dict[int, Any], columns, fks, make) -> None:
        self.tenancy = tenancy
        self.candidates = candidates
        self.by_name = {t.name: oid for oid, t in candidates.items()}
        self.columns = columns
        self.fks = fks
        self.make = make
        self.found: dict[int, TenantTable] = {}
        self.out = Discovery()

    def _oid(self, name: str, key: str) -> int | None:
        oid = self.by_name.get(_plain(name))
        if oid is None:
            self.out.problems.append(
                (
                    name,
                    f"[tenancy] {key} names {name}, which is not a table in an exposed schema "
                    "(or is excluded)",
                    f"fix the name in [tenancy] {key}, or add its schema to exposed_schemas",
                )
            )
        return oid

    def _has(self, oid: int, column: str) -> bool:
        return any(c.name == column for c in self.columns[oid])

    def _missing(self, name: str, key: str, column: str) -> None:
        self.out.problems.append(
            (
                name,
                f"[tenancy] {key} says {name} has tenant column {column}, but it has no such column",
                f"name one of its columns in [tenancy] {key}",
            )
        )

    def resolve(self, ctx: CheckContext) -> Discovery:
        t = self.tenancy
        for name, column in t.table_columns.items():
            oid = self._oid(name, "table_columns")
            if oid is not None and not self._has(oid, column):
                self._missing(name, "table_columns", column)
            elif oid is not None:
                self.found[oid] = self.make(
                    oid, "column", f"column {column} (table_columns)", column=column
                )
        for name in t.roots:
            self._root(name)
        for name, column in t.user_tables.items():
            oid = self._oid(name, "user_tables")
            if oid is not None and not self._has(oid, column):
                self._missing(name, "user_tables", column)
            elif oid is not None and oid not in self.found:
                self.found[oid] = self.make(
                    oid, "user", f"user-owned: {column} is the user", column=column, domain="user"
                )
        for table in ctx.tenant_tables():
            if table["oid"] not in self.found and table["column"]:
                self.found[table["oid"]] = self.make(
                    table["oid"], "column", f"column {table['column']}", column=table["column"]
                )
        self._parents()
        self._chains()
        listed = {_plain(n) for n in t.tables}
        for name in sorted(listed):
            oid = self.by_name.get(name)
            if oid is not None and oid not in self.found:
                self.out.problems.append(
                    (
                        name,
                        f"{name} is listed in [tenancy] tables but has none of the tenant columns "
                        f"({', '.join(t.tenant_columns)}) and no foreign key chain to a tenant table",
                        "map its tenant column in [tenancy] table_columns, its parent in "
                        "[tenancy] parents, or remove it from [tenancy] tables",
                    )
                )
        self.out.tables = sorted(self.found.values(), key=lambda x: (x.schema, x.table))
        return self.out

    def _root(self, name: str) -> None:
        oid = self._oid(name, "roots")
        if oid is None:
            return
        keys = [c.name for c in self.columns[oid] if c.primary_key]
        if len(keys) != 1:
            self.out.problems.append(
                (
                    name,
                    f"tenant root {name} needs a one-column primary key (it has {len(keys)})",
                    "give it one, or map its tenant column in [tenancy] table_columns",
                )
            )
            return
        self.found.setdefault(
            oid, self.make(oid, "root", f"tenant root: {keys[0]} is the tenant", column=keys[0])
        )

    def _chain(self, oid: int, fk: ForeignKey, how: str) -> TenantTable:
        parent = self.found[fk.parent]
        return self.make(
            oid,
            "chain",
            how,
            via=fk,
            parent=parent,
            domain=parent.domain,
            hops=parent.hops + 1,
        )

    def _parents(self) -> None:
        for name, parent_name in self.tenancy.parents.items():
            oid = self._oid(name, "parents")
            parent = self.by_name.get(_plain(parent_name))
            if oid is None:
                continue
            fk = next((f for f in self.fks[oid] if f.parent == parent), None)
            if fk is None or parent not in self.found:
                self.out.problems.append(
                    (
                        name,
                        f"[tenancy] parents says {name} belongs to a tenant through {parent_name}, "
                        "but it has no foreign key to that table, or that table's tenant is unknown",
                        "name a parent it references and whose tenant pggate knows",
                    )
                )
                continue
            self.found[oid] = self._chain(
                oid, fk, f"via {', '.join(fk.cols)} -> {parent_name} (parents)"
            )

    def _chains(self) -> None:
        """Foreign key chains, one hop per round, not-null keys preferred."""
        for _ in range(self.tenancy.fk_hops):
            added = {}
            for oid in self.candidates:
                if oid in self.found:
                    continue
                options = [f for f in self.fks[oid] if f.parent in self.found and f.parent != oid]
                if not options:
                    continue
                options.sort(
                    key=lambda f: (not self._not_null(oid, f), self.found[f.parent].hops, f.name)
                )
                fk = options[0]
                parent = self.found[fk.parent]
                added[oid] = self._chain(
                    oid, fk, f"via {', '.join(fk.cols)} -> {parent.name} ({parent.how})"
                )
            if not added:
                return
            self.found.update(added)

    def _not_null(self, oid: int, fk: ForeignKey) -> bool:
        cols = {c.name: c for c in self.columns[oid]}
        return all(cols[c].not_null for c in fk.cols if c in cols)


def _plain(name: str) -> str:
    return ".".join(split_qualified(name))
