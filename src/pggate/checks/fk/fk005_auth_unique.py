from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ...results import Finding, Severity
from ..base import Check
from ..context import CheckContext


class ForeignKeyToAuthUnique(Check):
    """Foreign key of the project to a unique column of ``auth`` other than its primary key.

    **Problem**: Supabase Auth owns the ``auth`` schema and changes its constraints in its
    own migrations (a unique ``email`` or ``phone`` may be dropped or redefined). A foreign
    key of yours that rests on such a unique index blocks those upgrades, or breaks when the
    index goes, and ties your rows to a mutable value instead of the user's id. Found from
    the constraint's index (``conindid``): unique, not the primary key.

    **Fix**: reference the primary key, ``auth.users(id)``::

        alter table public.profiles drop constraint profiles_email_fkey;
        alter table public.profiles add foreign key (user_id) references auth.users (id) on delete cascade;
    """

    id = "FK005"
    gate = "fk"
    severity = Severity.ERROR
    verified = "no foreign key rests on a unique column of `auth` other than its primary key"
    query = """
        select format('%%I.%%I', n.nspname, c.relname) as table_name, k.conname as name,
               format('%%I.%%I', pn.nspname, p.relname) as parent,
               (select string_agg(a.attname, ', ' order by u.n) from unnest(k.confkey) with ordinality u(att, n)
                join pg_attribute a on a.attrelid = k.confrelid and a.attnum = u.att) as columns
        from pg_constraint k
        join pg_class c on c.oid = k.conrelid join pg_namespace n on n.oid = c.relnamespace
        join pg_class p on p.oid = k.confrelid join pg_namespace pn on pn.oid = p.relnamespace
        join pg_index i on i.indexrelid = k.conindid
        where k.contype = 'f' and pn.nspname = 'auth' and n.nspname <> 'auth'
          and i.indisunique and not i.indisprimary
        order by 1, 2
    """

    def findings(self, ctx: CheckContext, rows: list[dict[str, Any]]) -> Iterable[Finding]:
        for row in rows:
            yield self.finding(
                f"{row['table_name']}.{row['name']}",
                f"foreign key {row['name']} of {row['table_name']} references {row['parent']}"
                f"({row['columns']}), a unique column Supabase Auth may change",
                f"reference {row['parent']}(id) instead",
            )
