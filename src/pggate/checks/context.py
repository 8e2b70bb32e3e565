"""What a check runs against: a connection, the project's settings, and the tenant tables.

Catalog checks are set-based: one query per check across all tables. The
context hands every query the same named parameters (``params()``), so a
check's SQL can say ``n.nspname = any(%(exposed_schemas)s)`` or
``c.oid = any(%(tenant_oids)s::oid[])`` without Python loops over tables.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from psycopg.rows import namedtuple_row

from ..config import Project, Record, Tenancy
from ..db import split_qualified
from ..events import NULL_EMIT, Emit
from .tenancy import Resolution, resolve

if TYPE_CHECKING:
    import psycopg

    from ..migrations.files import MigrationSet
    from ..session import Session

Model = TypeVar("Model", bound=Record)

# The roles PostgREST (and so supabase-js) acts as; the actor role joins them.
API_ROLES = ("anon", "authenticated")

# Schemas Supabase itself creates and manages (auth, storage, realtime, extensions, ...):
# their tables, views and functions are the platform's, never findings against the project,
# even though the API roles hold USAGE on several of them. Checks about how a project uses
# them (a view exposing auth.users, a storage bucket's policies, pgmq queues) read them
# explicitly.
SUPABASE_SCHEMAS = (
    "auth",
    "storage",
    "realtime",
    "_realtime",
    "extensions",
    "graphql",
    "graphql_public",
    "vault",
    "pgsodium",
    "pgsodium_masks",
    "supabase_functions",
    "supabase_migrations",
    "net",
    "cron",
    "pgbouncer",
    "pgtle",
    "pgmq",
    "pgmq_public",
    "_analytics",
    "repack",
    "tiger",
    "topology",
)

# Which schemas the API can reach, in one round trip over pg_namespace and the settings:
# ``pgrst`` lists what PostgREST is configured to serve (``pgrst.db_schemas``, set for the
# database or a role, PostgREST's in-database configuration, or for this session);
# ``granted`` the schemas whose ACL grants USAGE to an API role, directly or through a role
# it is a member of. A grant to PUBLIC does not count: roles are cluster-wide, so on a plain
# PostgreSQL ``anon`` may exist because another database created it, and PUBLIC's USAGE on
# ``public`` would make every plain database look exposed. ``roles`` are the API roles that
# exist and that RLS applies to (not superuser, not BYPASSRLS).
_EXPOSURE = """
with roles as (
    select oid, rolname from pg_roles
    where rolname = any(%(api_roles)s) and not rolsuper and not rolbypassrls
),
pgrst as (
    select trim(s.name) as name
    from pg_db_role_setting d
    cross join lateral unnest(d.setconfig) as c(setting)
    cross join lateral unnest(string_to_array(substr(c.setting, 18), ',')) as s(name)
    where d.setdatabase in (0, (select oid from pg_database where datname = current_database()))
      and starts_with(c.setting, 'pgrst.db_schemas=')
    union
    select trim(s.name)
    from unnest(string_to_array(current_setting('pgrst.db_schemas', true), ',')) as s(name)
)
select array(select rolname from roles order by rolname) as roles,
       array(select oid::int from roles order by rolname) as role_oids,
       -- the roles a policy may name to apply to an API role: those roles, and every role
       -- they are members of
       array(select distinct m.oid::int from pg_roles m, roles r
             where pg_has_role(r.oid, m.oid, 'MEMBER')) as member_of_oids,
       array(select oid::int from pg_roles where rolsuper or rolbypassrls) as bypass_oids,
       array(select name from pgrst where name <> '' order by name) as pgrst,
       array(select n.nspname from pg_namespace n
             where n.nspname <> all(%(managed)s) and n.nspname !~ '^pg_'
               and n.nspname <> 'information_schema'
               and exists (select 1 from aclexplode(n.nspacl) a, roles r
                           where a.privilege_type = 'USAGE' and a.grantee <> 0
                             and pg_has_role(r.oid, a.grantee, 'MEMBER'))
             order by 1) as granted
"""


@dataclass(frozen=True)
class Exposure:
    """Which schemas the API reaches, where that was read from, and the API roles that exist.

    ``source`` is ``config`` (``[tenancy] exposed_schemas``), ``pgrst.db_schemas``,
    ``grants`` (USAGE granted to anon/authenticated) or ``none`` (no API role reaches a
    schema: a plain PostgreSQL). ``schemas`` never holds Supabase's own schemas.
    """

    schemas: tuple[str, ...]
    source: str
    roles: tuple[str, ...]
    role_oids: tuple[int, ...]
    member_of_oids: frozenset[int] = frozenset()  # roles an API role is (a member of)
    bypass_oids: frozenset[int] = frozenset()  # superusers and BYPASSRLS roles

    @property
    def explicit(self) -> bool:
        """Named in the project file: every table there counts as reachable."""
        return self.source == "config"

    def describe(self) -> str:
        """One line for reports: what is exposed and why."""
        if not self.schemas:
            return "no schema is exposed (no API role was granted USAGE on one)"
        listed = ", ".join(self.schemas)
        why = {
            "config": "[tenancy] exposed_schemas",
            "pgrst.db_schemas": "pgrst.db_schemas",
            "grants": "USAGE granted to " + "/".join(self.roles or API_ROLES),
        }[self.source]
        return f"exposed schemas {listed} (from {why})"


# Tenant-scoped and exposed tables in one pass over pg_class (one round trip, one scan):
# ``exposed`` flags the tables of an exposed schema, ``tenant`` (set afterwards, from
# ``checks/tenancy.py``: a tenant column, a root, a user table or a foreign key chain) the
# tenant-scoped ones; the RLS state columns are
# what RLS001-RLS003 test, so they need no query of their own (RLS003 takes which tables
# have policies from ``policies()``). ``column_names`` (user column names by attnum, NULL for a
# dropped one, read by pg_attribute's (attrelid, attnum) index) answers which tenant column
# the table has, and is the key ``_POLICIES`` shares deparsed expressions by.
# ``name_order`` is the rank of ``qualified`` in the database's collation: those checks
# report in that order, the lists in (schema, table) order.
_TABLES = """
select c.oid::int as oid, n.nspname as schema, c.relname as table,
       format('%%I.%%I', n.nspname, c.relname) as qualified, q.name,
       q.exposed,
       q.exposed and (%(exposure_explicit)s
                      or exists (select 1 from unnest(%(api_role_oids)s::oid[]) r(oid)
                                 where has_table_privilege(r.oid, c.oid, 'SELECT, INSERT, UPDATE, DELETE')))
         as reachable,
       null::bool as tenant,  -- set from the tenancy resolution (checks/tenancy.py)
       cols.names as column_names,
       c.relrowsecurity as rls, c.relforcerowsecurity as forced, pg_get_userbyid(c.relowner) as owner,
       c.relowner::int as owner_oid,
       row_number() over (order by format('%%I.%%I', n.nspname, c.relname)) as name_order
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
cross join lateral (select n.nspname || '.' || c.relname as name,
                           n.nspname = any(%(exposed_schemas)s) as exposed) q
cross join lateral (select array(select case when not a.attisdropped then a.attname end
                                  from pg_attribute a where a.attrelid = c.oid and a.attnum > 0
                                  order by a.attnum) as names) cols
where c.relkind in ('r', 'p')
  and not c.relispartition
  and q.name <> all(%(exclude)s)
  and n.nspname <> all(%(managed)s)
  and (q.exposed or q.name = any(%(extra_tables)s))
  -- an extension's own tables (PostGIS's spatial_ref_sys) are the extension's, not the project's
  and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass
                  and d.objid = c.oid and d.objsubid = 0 and d.deptype = 'e')
order by n.nspname, c.relname
"""

# Policies of the tenant-scoped and exposed tables, with USING and WITH CHECK as text.
# pg_get_expr(tree, table) opens the table: in a fresh session that builds its relcache entry,
# which on a thousand tables costs more than every other query of the run together. So each
# distinct expression is deparsed once, through one of the policies having it. What the text
# depends on besides the node tree (equal trees, equal text; stored trees carry no source
# positions on PostgreSQL 16+) is the table's column names, for its Vars (hence the
# ``columns`` key: tables with equal ``_TABLES.column_names`` share an id), and its name, printed
# only to qualify a whole-row reference (``:varattno 0``) or a column referenced inside a
# subquery (a SubLink): trees containing either are deparsed for each policy, as before. Table names and order come from the
# tables query (``CheckContext.policies``), not from another join on pg_class.
_POLICIES = """
with pol as materialized (
    select p.oid, p.polrelid, p.polname, p.polcmd, p.polpermissive, p.polroles,
           p.polqual::text as using_tree, p.polwithcheck::text as check_tree, t.columns
    from unnest(%(table_oids)s::oid[], %(column_sets)s::int[]) as t(oid, columns)
    join pg_policy p on p.polrelid = t.oid
),
expr as materialized (  -- each distinct (tree, columns), with the policies and clauses having it
    select array_agg(pol.oid) as oids, array_agg(e.kind) as kinds,
           strpos(e.tree, '{SUBLINK') = 0 and strpos(e.tree, ' :varattno 0 ') = 0 as shared
    from pol cross join lateral (values ('u', pol.using_tree), ('c', pol.check_tree)) as e(kind, tree)
    where e.tree is not null
    group by e.tree, pol.columns
),
texts as (
    select m.oid, m.kind, d.text
    from (select e.oids, e.kinds,
                 (select pg_get_expr(case when e.kinds[1] = 'u' then p.polqual else p.polwithcheck end, p.polrelid)
                  from pg_policy p where p.oid = e.oids[1]) as text
          from expr e where e.shared
          offset 0) d  -- deparse once per expression, then hand the text to each policy having it
    cross join lateral unnest(d.oids, d.kinds) as m(oid, kind)
    union all
    select m.oid, m.kind, (select pg_get_expr(case when m.kind = 'u' then p.polqual else p.polwithcheck end, p.polrelid)
                           from pg_policy p where p.oid = m.oid)
    from expr e cross join lateral unnest(e.oids, e.kinds) as m(oid, kind)
    where not e.shared
)
select pol.polrelid::int as table_oid, pol.polname as policy, pol.polcmd::text as command,
       pol.polpermissive as permissive, coalesce(tu.text, '') as using_expr, coalesce(tc.text, '') as check_expr,
       pol.using_tree is null as no_using, pol.check_tree is null as no_check,
       pol.polroles::int[] as role_oids
from pol
left join texts tu on tu.oid = pol.oid and tu.kind = 'u'
left join texts tc on tc.oid = pol.oid and tc.kind = 'c'
"""


# Views and materialized views in the exposed schemas, found through their ``_RETURN`` rule:
# pg_rewrite holds a row per view (a few hundred with the system ones), while finding them
# by relkind reads all of pg_class, which grows with every table, index and sequence. The
# lateral probe (``offset 0`` keeps it one) stops the planner from choosing that scan anyway.
_VIEWS = """
select v.oid::int as oid, v.schema, v.name, format('%%I.%%I', v.schema, v.name) as view, v.kind
from pg_rewrite r
cross join lateral (
    select c.oid, n.nspname as schema, c.relname as name, c.relkind::text as kind
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where c.oid = r.ev_class and c.relkind in ('v', 'm') and n.nspname = any(%(exposed_schemas)s)
    offset 0
) as v
where r.rulename = '_RETURN'
order by 4
"""


@dataclass
class CheckContext:
    """Everything a check may read. Built once per ``verify`` run and shared by its gates."""

    conn: psycopg.Connection[dict[str, Any]]
    project: Project
    session: Session | None = None
    emit: Emit = NULL_EMIT
    options: dict[str, Any] = field(default_factory=dict)
    migrations: MigrationSet | None = None  # the run's migration files, when already loaded
    _cache: dict[str, Any] = field(default_factory=dict)

    @property
    def tenancy(self) -> Tenancy:
        """``[tenancy]`` of the project."""
        return self.project.tenancy

    def gate_config(self, gate: str, model: type[Model]) -> Model:
        """``[gates.<gate>]`` validated by the gate's model."""
        return self.project.gate_config(gate, model)

    def exposure(self) -> Exposure:
        """Which schemas the API reaches (read once per run; see ``_EXPOSURE``)."""
        if "exposure" not in self._cache:
            self._cache["exposure"] = self._read_exposure()
        return self._cache["exposure"]

    def _read_exposure(self) -> Exposure:
        configured = self.tenancy.exposed_schemas
        row = self.conn.execute(
            _EXPOSURE, {"api_roles": self.api_role_names(), "managed": list(SUPABASE_SCHEMAS)}
        ).fetchone()
        assert row is not None
        if configured is not None:
            schemas, source = configured, "config"
        elif row["pgrst"]:
            schemas, source = row["pgrst"], "pgrst.db_schemas"
        elif row["granted"]:
            schemas, source = row["granted"], "grants"
        else:
            schemas, source = [], "none"
        return Exposure(
            schemas=tuple(s for s in schemas if s not in SUPABASE_SCHEMAS),
            source=source,
            roles=tuple(row["roles"]),
            role_oids=tuple(row["role_oids"]),
            member_of_oids=frozenset(row["member_of_oids"]),
            bypass_oids=frozenset(row["bypass_oids"]),
        )

    def api_role_names(self) -> list[str]:
        """anon, authenticated and the actor role (whether or not they exist)."""
        return sorted({*API_ROLES, *(a.role for a in self.tenancy.all_actors)})

    def _base_params(self) -> dict[str, Any]:
        tenancy = self.tenancy
        exposure = self.exposure()
        return {
            "exposed_schemas": list(exposure.schemas),
            "exposure_explicit": exposure.explicit,
            "api_role_oids": array_literal(exposure.role_oids),
            "managed": list(SUPABASE_SCHEMAS),
            # the schemas whose objects are not the project's: Supabase's (pggate's own
            # tables are left out by oid, ``pggate_oids``, never their whole schema)
            "not_project_schemas": list(SUPABASE_SCHEMAS),
            "tenant_column": tenancy.tenant_columns[0],
            "tenant_columns": tenancy.tenant_columns,
            "exclude": [_plain(name) for name in tenancy.exclude],
            "extra_tables": [_plain(name) for name in [*tenancy.tables, *tenancy.table_columns]],
            "actor_roles": sorted({actor.role for actor in tenancy.all_actors}),
        }

    def pggate_tables(self) -> list[int]:
        """The oids of pggate's own tables (any project's history, events, meta; their sequences).

        Checks leave these out, never the rest of their schema: with
        ``history_table = "public.schema_migrations"`` every other table of ``public`` counts.
        """
        if "pggate_tables" not in self._cache:
            from ..schema.own import pggate_tables

            self._cache["pggate_tables"] = pggate_tables(self.conn)
        return self._cache["pggate_tables"]

    def _tables(self) -> list[Any]:
        """Rows of ``_TABLES`` (named tuples), ``tenant`` set from ``tenancy_resolution()``."""
        if "tables" not in self._cache:
            with self.conn.cursor(row_factory=namedtuple_row) as cur:
                rows = cur.execute(_TABLES, self._base_params()).fetchall()
            resolution = resolve(self.conn, self.tenancy, rows)
            self._cache["resolution"] = resolution
            tenant = resolution.oids
            self._cache["tables"] = [t._replace(tenant=t.oid in tenant) for t in rows]
        return self._cache["tables"]

    def tenancy_resolution(self) -> Resolution:
        """Which tables are tenant-scoped and how each one's tenant is found (once per run).

        The one answer the static checks and the isolation proof share; see
        ``checks/tenancy.py``.
        """
        self._tables()
        return self._cache["resolution"]

    def table_security(self) -> list[Any]:
        """Tenant-scoped and exposed tables with their RLS state, by qualified name.

        Named tuples: ``qualified``, ``tenant`` (tenant-scoped), ``exposed``, ``rls``,
        ``forced`` and ``owner``.
        """
        if "table_security" not in self._cache:
            rows = [t for t in self._tables() if t.tenant or t.exposed]
            self._cache["table_security"] = sorted(rows, key=lambda t: t.name_order)
        return self._cache["table_security"]

    def tenant_tables(self) -> list[dict[str, Any]]:
        """Tenant-scoped tables (``tenancy_resolution()``), in (schema, table) order.

        Dicts with ``oid``, ``schema``, ``table``, ``qualified``, ``name``, ``kind``
        (``column``, ``root``, ``user``, ``chain``, or ``declared``: a ``[tenancy] tables``
        entry whose tenant is unknown), ``how`` and ``column``: the column holding the
        tenant itself (``None`` for user-owned and chain tables, whose rows reach it otherwise).
        """
        if "tenant_tables" not in self._cache:
            tenures = self.tenancy_resolution().tables
            out = []
            for t in self._tables():
                if not t.tenant:
                    continue
                tenure = tenures.get(t.oid)
                kind = tenure.kind if tenure else "declared"
                out.append(
                    {
                        "oid": t.oid,
                        "schema": t.schema,
                        "table": t.table,
                        "qualified": t.qualified,
                        "name": t.name,
                        "kind": kind,
                        "how": tenure.how if tenure else "listed in [tenancy] tables",
                        "column": tenure.column if kind in ("column", "root") else None,
                    }
                )
            self._cache["tenant_tables"] = out
        return self._cache["tenant_tables"]

    def exposed_tables(self) -> list[dict[str, Any]]:
        """Every table in an exposed schema (minus excluded)."""
        if "exposed_tables" not in self._cache:
            self._cache["exposed_tables"] = [
                {"oid": t.oid, "schema": t.schema, "table": t.table, "name": t.name}
                for t in self._tables()
                if t.exposed
            ]
        return self._cache["exposed_tables"]

    def exposed_views(self) -> list[dict[str, Any]]:
        """Views and materialized views in the exposed schemas, by name.

        Dicts with ``oid``, ``schema``, ``name``, ``view`` (qualified) and ``kind``
        (``v`` or ``m``); the view checks' queries take their oids as ``view_oids``.
        """
        if "views" not in self._cache:
            self._cache["views"] = self.conn.execute(_VIEWS, self._base_params()).fetchall()
        return self._cache["views"]

    def policies(self) -> list[dict[str, Any]]:
        """Policies of tenant-scoped and exposed tables with their expressions as text.

        Deparsing every policy is the costly part of the text-based checks; done once
        here and shared by them.
        """
        if "policies" not in self._cache:
            tables = {t.oid: t for t in self.table_security()}
            column_sets: dict[tuple[str | None, ...], int] = {}
            params = {
                **self.params(),
                "table_oids": array_literal(tables),
                "column_sets": array_literal(
                    column_sets.setdefault(tuple(t.column_names), len(column_sets))
                    for t in tables.values()
                ),
            }
            with self.conn.cursor(row_factory=namedtuple_row) as cur:
                rows = cur.execute(_POLICIES, params).fetchall()
            # By table name (its rank in the database's collation), then policy name (a
            # ``name``, so C collation: code point order, as Python compares strings).
            rows.sort(key=lambda p: (tables[p.table_oid].name_order, p.policy))
            names = self._role_names({oid for p in rows for oid in p.role_oids})
            api_oids = self.exposure().member_of_oids | {0}
            self._cache["policies"] = [
                {
                    "name": tables[p.table_oid].qualified,
                    "policy": p.policy,
                    "command": p.command,
                    "permissive": p.permissive,
                    "tenant_scoped": tables[p.table_oid].tenant,
                    "rls": tables[p.table_oid].rls,
                    "reachable": tables[p.table_oid].reachable,
                    "roles": sorted(names.get(oid, str(oid)) for oid in p.role_oids),
                    # applies to PUBLIC, an API role or a role an API role is a member of
                    "api": not api_oids.isdisjoint(p.role_oids),
                    "no_using": p.no_using,
                    "no_check": p.no_check,
                    "using_expr": p.using_expr,
                    "check_expr": p.check_expr,
                }
                for p in rows
            ]
        return self._cache["policies"]

    def _role_names(self, oids: set[int]) -> dict[int, str]:
        """Names of the roles ``oids`` (0 is ``public``): one query, none for PUBLIC alone."""
        names = {0: "public"}
        wanted = oids - {0}
        if wanted:
            rows = self.conn.execute(
                "select oid::int as oid, rolname from pg_roles where oid = any(%s::oid[])",
                [array_literal(sorted(wanted))],
            ).fetchall()
            names.update({r["oid"]: r["rolname"] for r in rows})
        return names

    def params(self) -> dict[str, Any]:
        """Named parameters every check query may use (built once per run).

        The oid lists go as array literals (``'{1,2,3}'``, cast by the queries'
        ``::oid[]``): built once here rather than adapted from Python lists on every query,
        which at a thousand tables cost more than most of the queries themselves.
        """
        if "params" not in self._cache:
            self._cache["params"] = {
                **self._base_params(),
                "tenant_oids": array_literal(t.oid for t in self._tables() if t.tenant),
                "exposed_oids": array_literal(t.oid for t in self._tables() if t.exposed),
                "pggate_oids": array_literal(self.pggate_tables()),
            }
        return dict(self._cache["params"])


def array_literal(values: Iterable[int]) -> str:
    """``[1, 2]`` -> ``'{1,2}'``: an ``oid[]`` (or ``int[]``) literal."""
    return "{" + ",".join(map(str, values)) + "}"


def _plain(name: str) -> str:
    """``'"my schema".t'`` -> ``'my schema.t'``: how the queries spell names."""
    return ".".join(split_qualified(name))
