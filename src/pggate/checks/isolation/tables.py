"""Which tables the proof probes, and how each one's tenant is found.

Which tables are tenant-scoped and how comes from the run's tenancy resolution
(``checks/tenancy.py``), the one the static checks read too. Here, for those tables only,
one catalog pass each for what the probes and the row maker need: their columns with
types and defaults, and their relkind and trigger functions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from psycopg import sql

from ..context import CheckContext, array_literal
from ..tenancy import ForeignKey

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
    """Every tenant-scoped table with its tenancy (two catalog queries for all of them)."""
    resolution = ctx.tenancy_resolution()
    out = Discovery(problems=list(resolution.problems))
    if not resolution.tables:
        return out
    rows = {t.oid: t for t in ctx.table_security()}
    oids = {"oids": array_literal(resolution.tables)}
    conn = ctx.conn
    columns: dict[int, list[Column]] = {oid: [] for oid in resolution.tables}
    for row in conn.execute(_COLUMNS, oids).fetchall():
        columns[row["oid"]].append(
            Column(**{k: v for k, v in row.items() if k not in ("oid", "attnum")})
        )
    relations = {r["oid"]: r for r in conn.execute(_RELATIONS, oids).fetchall()}
    built: dict[int, TenantTable] = {}
    for tenure in sorted(resolution.tables.values(), key=lambda x: x.hops):  # parents first
        t = rows[tenure.oid]
        built[tenure.oid] = TenantTable(
            tenure.oid,
            t.schema,
            t.table,
            t.name,
            tenure.kind,
            tenure.how,
            columns[tenure.oid],
            resolution.foreign_keys[tenure.oid],
            partitioned=relations[tenure.oid]["relkind"] == "p",
            trigger_functions=tuple(relations[tenure.oid]["trigger_functions"]),
            column=tenure.column,
            via=tenure.via,
            parent=built[tenure.parent] if tenure.parent is not None else None,
            domain=tenure.domain,
            hops=tenure.hops,
            qualified=t.qualified,
        )
    out.tables = sorted(built.values(), key=lambda x: (x.schema, x.table))
    return out
