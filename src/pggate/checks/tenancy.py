"""Which tables are tenant-scoped, and how each one's tenant is found: one answer for every check.

The static checks (``CheckContext.params()['tenant_oids']``, ``table_security()``'s
``tenant``, ``tenant_tables()``) and the isolation proof (``isolation/tables.py``) read the
same ``Resolution``, made once per run from the tables query the context runs anyway and
one query over the candidates' primary and foreign keys. So a table that reaches its
tenant only through a foreign key chain (``messages -> chats -> workspace_id``) is
checked by RLS001-RLS009 as the proof probes it.

A table's tenancy, in this order: a ``table_columns`` entry, ``roots`` (its primary key is
the tenant), ``user_tables`` (the user is the tenant), one of the tenant columns, a
``parents`` override, and finally a foreign key chain of at most ``fk_hops`` hops to a table
whose tenant is known. A configured table whose tenancy cannot be found is a problem the
isolation gate reports; a ``[tenancy] tables`` entry stays tenant-scoped for the static
checks (it was declared so) even then.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..config import Tenancy
from ..db import split_qualified

if TYPE_CHECKING:
    import psycopg

# The candidates' primary keys and foreign keys, in one pass over pg_constraint (by its
# conrelid index). Column names come from pg_attribute's (attrelid, attnum) index.
# The candidates' foreign keys, and the primary keys of the configured roots, in one pass
# over pg_constraint (by its conrelid index). The key's own columns are named from the
# tables query's ``column_names`` (by attnum); only the referenced ones are looked up.
_KEYS = """
select c.conrelid::int as oid, c.contype::text as kind, c.conname as name, c.conkey::int[] as attnums,
       c.confrelid::int as parent, pn.nspname as parent_schema, pc.relname as parent_table,
       array(select a.attname::text from unnest(c.confkey) with ordinality k(n, o)
             join pg_attribute a on a.attrelid = c.confrelid and a.attnum = k.n order by k.o) as refcols,
       (select bool_and(a.attnotnull) from unnest(c.conkey) k(n)
        join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.n) as not_null
from pg_constraint c
left join pg_class pc on pc.oid = c.confrelid
left join pg_namespace pn on pn.oid = pc.relnamespace
where c.conrelid = any(%(oids)s::oid[])
  and (c.contype = 'f' or (c.contype = 'p' and c.conrelid = any(%(roots)s::oid[])))
order by c.conrelid, c.conname
"""


@dataclass(frozen=True)
class ForeignKey:
    """A foreign key of a candidate table."""

    name: str
    parent: int
    parent_name: str
    cols: tuple[str, ...]
    refcols: tuple[str, ...]
    not_null: bool = False  # every column of the key is NOT NULL


@dataclass(frozen=True)
class Tenure:
    """How one table's tenant is found.

    ``kind``: ``column`` (its ``column`` holds the tenant), ``root`` (its primary key
    ``column`` is the tenant), ``user`` (its ``column`` holds the user, who is the tenant)
    or ``chain`` (through foreign key ``via`` to the table ``parent``). ``domain`` is what its
    tenant values are: tenants, or users (a user table, or a chain ending in one).
    """

    oid: int
    kind: str
    how: str
    column: str | None = None
    via: ForeignKey | None = None
    parent: int | None = None
    domain: str = "tenant"
    hops: int = 0

    @property
    def placing(self) -> tuple[str, ...]:
        """The columns whose values put a row in its tenant (a chain's foreign key)."""
        if self.kind == "chain":
            assert self.via is not None
            return self.via.cols
        return (self.column,) if self.column else ()


@dataclass
class Resolution:
    """The tenant-scoped tables of a run and how each was found.

    ``tables`` by oid; ``declared``: ``[tenancy] tables`` entries whose tenant could not be
    found (tenant-scoped for the static checks, a problem for the proof); ``problems``:
    ``(object, message, hint)`` of configuration mistakes; ``foreign_keys`` of every
    candidate, for the proof's joins and made rows.
    """

    tables: dict[int, Tenure] = field(default_factory=dict)
    declared: frozenset[int] = frozenset()
    problems: list[tuple[str, str, str]] = field(default_factory=list)
    foreign_keys: dict[int, list[ForeignKey]] = field(default_factory=dict)

    @property
    def oids(self) -> frozenset[int]:
        """Every tenant-scoped table: resolved, or declared in ``[tenancy] tables``."""
        return frozenset(self.tables) | self.declared


def resolve(
    conn: psycopg.Connection[Any], tenancy: Tenancy, candidates: Iterable[Any]
) -> Resolution:
    """The tenancy of ``candidates`` (rows of the context's tables query), one catalog query.

    A candidate has ``oid``, ``schema``, ``table``, ``name`` (``schema.table``, unquoted),
    ``exposed`` and ``column_names``.
    """
    by_oid = {t.oid: t for t in candidates}
    fks: dict[int, list[ForeignKey]] = {oid: [] for oid in by_oid}
    primary: dict[int, list[str]] = {oid: [] for oid in by_oid}
    names = {t.name: oid for oid, t in by_oid.items()}
    roots = [names[n] for n in map(_plain, tenancy.roots) if n in names]
    if by_oid:  # the foreign keys also serve the proof's joins and made rows
        params = {"oids": _oids(by_oid), "roots": _oids(roots)}
        for row in conn.execute(_KEYS, params).fetchall():
            columns = by_oid[row["oid"]].column_names
            cols = tuple(columns[n - 1] for n in row["attnums"])
            if row["kind"] == "p":
                primary[row["oid"]] = list(cols)
                continue
            fks[row["oid"]].append(
                ForeignKey(
                    row["name"],
                    row["parent"],
                    f"{row['parent_schema']}.{row['parent_table']}",
                    cols,
                    tuple(row["refcols"]),
                    bool(row["not_null"]),
                )
            )
    return _Resolver(tenancy, by_oid, primary, fks).resolve()


class _Resolver:
    """Applies the tenancy rules in order; see the module docstring."""

    def __init__(
        self,
        tenancy: Tenancy,
        candidates: dict[int, Any],
        primary: dict[int, list[str]],
        fks: dict[int, list[ForeignKey]],
    ) -> None:
        self.tenancy = tenancy
        self.candidates = candidates
        self.by_name = {t.name: oid for oid, t in candidates.items()}
        # ``exclude`` names a table (it is then no candidate at all) or, unqualified, a table
        # name in any schema: still checked as exposed, never tenant-scoped
        self.excluded = {
            oid for oid, t in candidates.items() if t.table in {_plain(n) for n in tenancy.exclude}
        }
        self.columns = {oid: {c for c in t.column_names if c} for oid, t in candidates.items()}
        self.primary = primary
        self.fks = fks
        self.found: dict[int, Tenure] = {}
        self.problems: list[tuple[str, str, str]] = []

    def _oid(self, name: str, key: str) -> int | None:
        oid = self.by_name.get(_plain(name))
        if oid is None:
            self.problems.append(
                (
                    name,
                    f"[tenancy] {key} names {name}, which is not a table in an exposed schema "
                    "(or is excluded)",
                    f"fix the name in [tenancy] {key}, or add its schema to exposed_schemas",
                )
            )
        return oid

    def _missing(self, name: str, key: str, column: str) -> None:
        self.problems.append(
            (
                name,
                f"[tenancy] {key} says {name} has tenant column {column}, but it has no such column",
                f"name one of its columns in [tenancy] {key}",
            )
        )

    def resolve(self) -> Resolution:
        t = self.tenancy
        for name, column in t.table_columns.items():
            oid = self._oid(name, "table_columns")
            if oid is not None and column not in self.columns[oid]:
                self._missing(name, "table_columns", column)
            elif oid is not None:
                self.found[oid] = Tenure(
                    oid, "column", f"column {column} (table_columns)", column=column
                )
        for name in t.roots:
            self._root(name)
        for name, column in t.user_tables.items():
            oid = self._oid(name, "user_tables")
            if oid is not None and column not in self.columns[oid]:
                self._missing(name, "user_tables", column)
            elif oid is not None and oid not in self.found:
                self.found[oid] = Tenure(
                    oid, "user", f"user-owned: {column} is the user", column=column, domain="user"
                )
        listed = {_plain(n) for n in t.tables}
        for oid, table in self.candidates.items():
            if oid in self.found or oid in self.excluded:
                continue
            if not (table.exposed or table.name in listed):
                continue
            column = next((c for c in t.tenant_columns if c in self.columns[oid]), None)
            if column:
                self.found[oid] = Tenure(oid, "column", f"column {column}", column=column)
        self._parents()
        self._chains()
        declared = set()
        for name in sorted(listed):
            oid = self.by_name.get(name)
            if oid is not None and oid not in self.found:
                declared.add(oid)
                self.problems.append(
                    (
                        name,
                        f"{name} is listed in [tenancy] tables but has none of the tenant columns "
                        f"({', '.join(t.tenant_columns)}) and no foreign key chain to a tenant table",
                        "map its tenant column in [tenancy] table_columns, its parent in "
                        "[tenancy] parents, or remove it from [tenancy] tables",
                    )
                )
        return Resolution(self.found, frozenset(declared), self.problems, self.fks)

    def _root(self, name: str) -> None:
        oid = self._oid(name, "roots")
        if oid is None:
            return
        keys = self.primary[oid]
        if len(keys) != 1:
            self.problems.append(
                (
                    name,
                    f"tenant root {name} needs a one-column primary key (it has {len(keys)})",
                    "give it one, or map its tenant column in [tenancy] table_columns",
                )
            )
            return
        self.found.setdefault(
            oid, Tenure(oid, "root", f"tenant root: {keys[0]} is the tenant", column=keys[0])
        )

    def _chain(self, oid: int, fk: ForeignKey, how: str) -> Tenure:
        parent = self.found[fk.parent]
        return Tenure(
            oid,
            "chain",
            how,
            via=fk,
            parent=fk.parent,
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
                self.problems.append(
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
                if oid in self.found or oid in self.excluded:
                    continue
                options = [f for f in self.fks[oid] if f.parent in self.found and f.parent != oid]
                if not options:
                    continue
                options.sort(key=lambda f: (not f.not_null, self.found[f.parent].hops, f.name))
                fk = options[0]
                parent = self.found[fk.parent]
                name = self.candidates[fk.parent].name
                added[oid] = self._chain(
                    oid, fk, f"via {', '.join(fk.cols)} -> {name} ({parent.how})"
                )
            if not added:
                return
            self.found.update(added)


def _oids(values: Iterable[int]) -> str:
    return "{" + ",".join(map(str, values)) + "}"


def _plain(name: str) -> str:
    """``'"my schema".t'`` -> ``'my schema.t'``: how the queries spell names."""
    return ".".join(split_qualified(name))
