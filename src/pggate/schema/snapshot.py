"""A canonical snapshot of everything a migration can change, in one catalog pass.

``take(conn)`` runs one set-based query per object kind (never one per table)
and returns JSON-ready data: ``{kind: {object name: properties}}``. Names, not
OIDs, so two databases built by the same migrations give the same snapshot;
column positions are ranks among live columns, so a column dropped and re-added
in the same place compares equal. System schemas, objects that belong to
extensions, pggate's own tables (recognised by their columns, in whatever schema
they are; a schema holding only them goes with them), Supabase's
``supabase_migrations`` and the schemas passed in ``exclude_schemas`` are left
out. Object owners are left out too (they differ between environments by
design); grants (ACLs) are in, with an ACL equal to the owner's default shown as none (a
grant followed by its revoke leaves an explicit but equivalent ACL). Works on PostgreSQL 13 to 18.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg.rows import dict_row

from .own import OWN

# Every query gets %(excluded)s (schema names to skip). ``_IN_SCOPE`` filters a namespace
# alias n; ``_NOT_EXTENSION`` filters an object (classid, objid) owned by an extension.
_IN_SCOPE = """n.nspname <> all(%(excluded)s) and n.nspname not like 'pg\\_%%'
  and n.nspname <> 'information_schema' and n.oid <> all(%(own_schemas)s::oid[])"""


def _not_own(oid: str) -> str:
    """Filter out pggate's own tables (and their sequences) by relation oid."""
    return f"{oid} <> all(%(own)s::oid[])"


def _comment(catalog: str, oid: str, column: str = "0") -> str:
    """Join the object's comment as ``cm.description`` (what ``obj_description`` returns).

    A join, not ``obj_description()`` per row: that SQL function costs about 4 us a call,
    a third of the snapshot at 1000 tables. pg_description is unique on these three
    columns, so the join adds no row.
    """
    return (
        f"left join pg_description cm on cm.objoid = {oid} "
        f"and cm.classoid = '{catalog}'::regclass and cm.objsubid = {column}"
    )


def _not_extension(catalog: str, oid: str) -> str:
    return (
        f"not exists (select 1 from pg_depend dep where dep.classid = '{catalog}'::regclass "
        f"and dep.objid = {oid} and dep.deptype = 'e')"
    )


QUERIES: dict[str, str] = {
    "schemas": f"""
        select n.nspname as key, nullif(n.nspacl, acldefault('n', n.nspowner))::text[] as acl,
               cm.description as comment
        from pg_namespace n {_comment("pg_namespace", "n.oid")}
        where {_IN_SCOPE} and {_not_extension("pg_namespace", "n.oid")}""",
    "relations": f"""
        select format('%%I.%%I', n.nspname, c.relname) as key, c.relkind::text as kind,
               c.relpersistence::text as persistence, c.relrowsecurity as rls_enabled,
               c.relforcerowsecurity as rls_forced, c.reloptions::text[] as options,
               pg_get_partkeydef(c.oid) as partition_key,
               pg_get_expr(c.relpartbound, c.oid) as partition_bound,
               case when c.relkind in ('v', 'm') then pg_get_viewdef(c.oid, true) end as definition,
               nullif(c.relacl, acldefault('r', c.relowner))::text[] as acl,
               cm.description as comment
        from pg_class c join pg_namespace n on n.oid = c.relnamespace {_comment("pg_class", "c.oid")}
        where c.relkind in ('r', 'p', 'v', 'm', 'f') and {_IN_SCOPE}
          and {_not_extension("pg_class", "c.oid")} and {_not_own("c.oid")}""",
    "columns": f"""
        select format('%%I.%%I.%%I', n.nspname, c.relname, a.attname) as key,
               rank() over (partition by a.attrelid order by a.attnum) as position,
               format_type(a.atttypid, a.atttypmod) as type, a.attnotnull as not_null,
               pg_get_expr(d.adbin, d.adrelid) as default, a.attidentity::text as identity,
               a.attgenerated::text as generated,
               case when a.attcollation <> t.typcollation then co.collname end as collation,
               a.attacl::text[] as acl, cm.description as comment
        from pg_attribute a
        join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
        join pg_type t on t.oid = a.atttypid
        left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
        left join pg_collation co on co.oid = a.attcollation
        {_comment("pg_class", "c.oid", "a.attnum")}
        where a.attnum > 0 and not a.attisdropped and c.relkind in ('r', 'p', 'v', 'm', 'f', 'c')
          and {_IN_SCOPE} and {_not_extension("pg_class", "c.oid")} and {_not_own("c.oid")}""",
    "constraints": f"""
        select format('%%I.%%I.%%I', n.nspname, coalesce(c.relname, t.typname), k.conname) as key,
               k.contype::text as type, pg_get_constraintdef(k.oid, true) as definition,
               k.convalidated as validated, k.condeferrable as deferrable,
               cm.description as comment
        from pg_constraint k join pg_namespace n on n.oid = k.connamespace
        left join pg_class c on c.oid = k.conrelid left join pg_type t on t.oid = k.contypid
        {_comment("pg_constraint", "k.oid")}
        where {_IN_SCOPE} and (k.conrelid <> 0 or k.contypid <> 0) and {_not_own("k.conrelid")}""",
    "indexes": f"""
        select format('%%I.%%I', n.nspname, c.relname) as key,
               pg_get_indexdef(i.indexrelid) as definition, i.indisvalid as valid,
               cm.description as comment
        from pg_index i join pg_class c on c.oid = i.indexrelid
        join pg_namespace n on n.oid = c.relnamespace {_comment("pg_class", "c.oid")}
        where {_IN_SCOPE} and {_not_extension("pg_class", "i.indrelid")}
          and {_not_own("i.indrelid")}""",
    "policies": f"""
        select format('%%I.%%I.%%I', n.nspname, c.relname, p.polname) as key,
               p.polcmd::text as command, p.polpermissive as permissive,
               array(select case when r = 0 then 'public' else pg_get_userbyid(r) end
                     from unnest(p.polroles) r order by 1) as roles,
               pg_get_expr(p.polqual, p.polrelid) as using,
               pg_get_expr(p.polwithcheck, p.polrelid) as with_check
        from pg_policy p join pg_class c on c.oid = p.polrelid
        join pg_namespace n on n.oid = c.relnamespace
        where {_IN_SCOPE} and {_not_own("p.polrelid")}""",
    "functions": f"""
        select format('%%I.%%I(%%s)', n.nspname, p.proname,
                      pg_get_function_identity_arguments(p.oid)) as key,
               p.prokind::text as kind, pg_get_function_result(p.oid) as result,
               l.lanname as language, p.prosecdef as security_definer,
               p.provolatile::text as volatility, p.proconfig as config,
               md5(case when p.prokind in ('f', 'p') then pg_get_functiondef(p.oid)
                        else p.prosrc end) as body_md5,
               nullif(p.proacl, acldefault('f', p.proowner))::text[] as acl, cm.description as comment
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        join pg_language l on l.oid = p.prolang {_comment("pg_proc", "p.oid")}
        where {_IN_SCOPE} and {_not_extension("pg_proc", "p.oid")}""",
    "triggers": f"""
        select format('%%I.%%I.%%I', n.nspname, c.relname, g.tgname) as key,
               pg_get_triggerdef(g.oid, true) as definition, g.tgenabled::text as enabled
        from pg_trigger g join pg_class c on c.oid = g.tgrelid
        join pg_namespace n on n.oid = c.relnamespace
        where not g.tgisinternal and {_IN_SCOPE} and {_not_own("g.tgrelid")}""",
    "sequences": f"""
        select format('%%I.%%I', n.nspname, c.relname) as key, format_type(s.seqtypid, null) as type,
               s.seqstart::text as start, s.seqincrement::text as increment,
               s.seqmin::text as min, s.seqmax::text as max, s.seqcache::text as cache,
               s.seqcycle as cycle, nullif(c.relacl, acldefault('s', c.relowner))::text[] as acl
        from pg_sequence s join pg_class c on c.oid = s.seqrelid
        join pg_namespace n on n.oid = c.relnamespace
        where {_IN_SCOPE} and {_not_extension("pg_class", "c.oid")} and {_not_own("c.oid")}""",
    "types": f"""
        select format('%%I.%%I', n.nspname, t.typname) as key, t.typtype::text as kind,
               array(select e.enumlabel::text from pg_enum e where e.enumtypid = t.oid
                     order by e.enumsortorder) as labels,
               case when t.typtype = 'd' then format_type(t.typbasetype, t.typtypmod) end as base,
               t.typnotnull as not_null, t.typdefault as default, nullif(t.typacl, acldefault('T', t.typowner))::text[] as acl,
               cm.description as comment
        from pg_type t join pg_namespace n on n.oid = t.typnamespace
        left join pg_class c on c.oid = t.typrelid {_comment("pg_type", "t.oid")}
        where t.typtype in ('e', 'd', 'c', 'r', 'm') and (t.typtype <> 'c' or c.relkind = 'c')
          and {_IN_SCOPE} and {_not_extension("pg_type", "t.oid")}""",
    "extensions": """
        select e.extname as key, e.extversion as version, n.nspname as schema
        from pg_extension e join pg_namespace n on n.oid = e.extnamespace
        where e.extname <> 'plpgsql'""",
}


FORMAT = 2  # bump when a change makes the same schema snapshot differently


def take(conn: psycopg.Connection[Any], *, exclude_schemas: Sequence[str] = ()) -> dict[str, Any]:
    """The canonical snapshot of the connection's database (one query per object kind).

    Runs in a transaction (a savepoint inside the caller's) that is rolled back, with
    ``search_path`` set to empty by ``SET LOCAL``: expressions deparse with every name
    schema-qualified, whatever path the session has, and nothing is left behind.
    """
    from ..db import rolled_back

    snapshot: dict[str, Any] = {}
    with rolled_back(conn), conn.cursor(row_factory=dict_row) as cur:
        cur.execute("select set_config('search_path', '', true)")
        own = cur.execute(OWN).fetchone()
        assert own is not None
        params = {"excluded": list(exclude_schemas), **own}
        for kind, query in QUERIES.items():
            rows = cur.execute(query, params).fetchall()
            snapshot[kind] = {row["key"]: _clean(row) for row in rows}
    return snapshot


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    """Row without its key, None dropped, arrays sorted where order carries no meaning."""
    out = {}
    for name, value in row.items():
        if name == "key" or value is None or value == "" or value == []:
            continue
        if name in ("acl", "options", "config") and isinstance(value, list):
            value = sorted(value)
        out[name] = value
    return out
