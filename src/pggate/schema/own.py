"""pggate's own tables, recognised by their columns wherever they are.

A history table is any table with the history columns (whatever ``history_table`` names
it, in any schema, for any project sharing the database); the ``events`` and ``meta``
tables beside it, and their sequences, are pggate's too. A schema that holds nothing
else is pggate's. Supabase's ``supabase_migrations`` is never the application's schema
either. The snapshot leaves all of these out; the checks leave out the tables, never
the rest of their schema (``history_table = "public.schema_migrations"`` keeps every
other table of ``public`` checked).
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.rows import dict_row

# Two arrays of oids: ``own`` (pggate's tables and their sequences) and ``own_schemas``.
OWN = """
with tables as (
    select c.oid, c.relname, c.relnamespace, array_agg(a.attname::text) as columns
    from pg_class c join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
    where c.relkind = 'r' and c.relnamespace not in ('pg_catalog'::regnamespace,
                                                    'information_schema'::regnamespace)
    group by c.oid
), history as (
    select oid, relnamespace from tables
    where columns @> array['version', 'name', 'checksum', 'down_checksum', 'transactional',
                           'started_at', 'finished_at', 'fingerprint', 'snapshot']
), own_tables as (
    select oid from history
    union
    select t.oid from tables t where t.relnamespace in (select relnamespace from history) and (
        (t.relname = 'events' and t.columns @> array['id', 'at', 'kind', 'version', 'run_id',
                                                      'statement_index', 'details', 'os_user'])
        or (t.relname = 'meta' and t.columns @> array['key', 'value'] and cardinality(t.columns) = 2))
), own as (
    select oid from own_tables
    union
    select d.objid from pg_depend d join pg_class s on s.oid = d.objid and s.relkind = 'S'
    where d.classid = 'pg_class'::regclass and d.refclassid = 'pg_class'::regclass
      and d.refobjid in (select oid from own_tables)
)
select array(select oid from own) as own,
       array(select n.oid from pg_namespace n
             where n.nspname = 'supabase_migrations'
                or (exists (select 1 from pg_class c where c.relnamespace = n.oid
                            and c.oid in (select oid from own))
                    and not exists (select 1 from pg_class c where c.relnamespace = n.oid
                                    and c.relkind not in ('i', 't', 'c')
                                    and c.oid not in (select oid from own))
                    and not exists (select 1 from pg_proc p where p.pronamespace = n.oid)
                    and not exists (select 1 from pg_type t where t.typnamespace = n.oid
                                    and t.typtype <> 'c' and t.typcategory <> 'A'))) as own_schemas
"""


def pggate_tables(conn: psycopg.Connection[Any]) -> list[int]:
    """The oids of pggate's own tables and their sequences in the connection's database."""
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(OWN).fetchone()
    assert row is not None
    return list(row["own"])
