from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ...results import Finding, Severity
from ..context import CheckContext
from ._base import ContractCheck

ACTION_WORDS = {
    "c": "cascade",
    "r": "restrict",
    "n": "set null",
    "d": "set default",
    "a": "no action",
}


class RequiredForeignKeyMissing(ContractCheck):
    """A foreign key the identity contract requires is missing, or deletes differently.

    **Problem**: ``[gates.identity] foreign_keys`` lists links such as
    ``public.profiles(id) -> auth.users(id) on delete cascade``. Without it (or with another
    ``on delete``) deleting a user leaves orphaned profiles and memberships, or fails.

    **Fix**::

        alter table public.profiles add constraint profiles_id_fkey
            foreign key (id) references auth.users (id) on delete cascade;
    """

    id = "ID004"
    severity = Severity.ERROR
    verified = "every foreign key of the identity contract exists and deletes as required"
    query = """
        select f.spec as name, f.on_delete as wanted,
               (select k.confdeltype::text from pg_constraint k
                 where k.contype = 'f' and k.conrelid = to_regclass(f.child)
                   and k.confrelid = to_regclass(f.parent)
                   and (select array_agg(a.attname::text order by u.n) from unnest(k.conkey) with ordinality u(att, n)
                        join pg_attribute a on a.attrelid = k.conrelid and a.attnum = u.att) = f.ccols
                   and (select array_agg(a.attname::text order by u.n) from unnest(k.confkey) with ordinality u(att, n)
                        join pg_attribute a on a.attrelid = k.confrelid and a.attnum = u.att) = f.pcols
                 limit 1) as actual
        from jsonb_to_recordset(%(fks)s::jsonb)
             as f(spec text, child text, ccols text[], parent text, pcols text[], on_delete text)
        order by 1
    """

    def findings(self, ctx: CheckContext, rows: list[dict[str, Any]]) -> Iterable[Finding]:
        for row in rows:
            if row["actual"] is None:
                yield self.finding(
                    row["name"],
                    f"required foreign key {row['name']} does not exist",
                    "add it in a migration",
                )
            elif row["wanted"] and row["actual"] != row["wanted"]:
                yield self.finding(
                    row["name"],
                    f"foreign key {row['name']} is on delete {ACTION_WORDS[row['actual']]}",
                    f"recreate it with on delete {ACTION_WORDS[row['wanted']]}",
                )
