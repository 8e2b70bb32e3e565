from __future__ import annotations

from ...results import Severity
from ..base import QueryCheck


class PolicyColumnUnindexed(QueryCheck):
    """Column a tenant table's policy filters on, with no index leading with it.

    **Problem**: every query through the API adds the policy's condition; without an index on
    the column it tests (usually the tenant column), each one scans the whole table.
    Columns are found through the policies' ``pg_depend`` dependencies.

    **Fix**::

        create index concurrently tasks_organization_id_idx on public.tasks (organization_id);
    """

    id = "RLS009"
    gate = "rls"
    severity = Severity.WARNING
    verified = "every column a tenant policy filters on is indexed"
    # Set-based: the (table, column) pairs the tenant tables' policies depend on, EXCEPT the
    # (table, leading column) pairs of their indexes (a hashed set difference, not a probe of
    # pg_index and pg_attribute per dependency); names are looked up only for what is left.
    # Policies first (materialized), so pg_depend is read by its depender key (policy rows).
    query = """
        with pol as materialized (
            select p.oid, p.polrelid from pg_policy p where p.polrelid = any(%(tenant_oids)s::oid[])
        ),
        unindexed as (
            select d.refobjid as relid, d.refobjsubid as attnum
            from pol
            join pg_depend d on d.classid = 'pg_policy'::regclass and d.objid = pol.oid
                            and d.refclassid = 'pg_class'::regclass and d.refobjid = pol.polrelid
                            and d.refobjsubid > 0
            except
            select i.indrelid, i.indkey[0] from pg_index i where i.indrelid = any(%(tenant_oids)s::oid[])
        )
        select format('%%I.%%I.%%I', n.nspname, c.relname, a.attname) as name,
               format('%%I.%%I', n.nspname, c.relname) as table_name, a.attname as column_name
        from unindexed u
        join pg_class c on c.oid = u.relid
        join pg_namespace n on n.oid = c.relnamespace
        join pg_attribute a on a.attrelid = u.relid and a.attnum = u.attnum
        order by 1
    """

    message = "policies on {table_name} filter on {column_name}, which no index leads with"
    hint = "create index concurrently on {table_name} ({column_name})"
