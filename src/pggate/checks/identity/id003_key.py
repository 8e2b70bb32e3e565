from __future__ import annotations

from ...results import Severity
from ._base import ContractCheck


class RequiredKeyMissing(ContractCheck):
    """A primary or unique key the identity contract requires is missing.

    **Problem**: ``[gates.identity] unique`` lists keys like
    ``public.memberships(organization_id, user_id)``; without the unique index a user can be
    a member twice, with two roles, and policies counting memberships go wrong.

    **Fix**::

        alter table public.memberships add constraint memberships_org_user_key
            unique (organization_id, user_id);
    """

    id = "ID003"
    severity = Severity.ERROR
    verified = "every key of the identity contract exists"
    query = """
        select k.spec as name
        from jsonb_to_recordset(%(keys)s::jsonb) as k(spec text, "table" text, columns text[])
        where not exists (
            select 1 from pg_index i
            where i.indrelid = to_regclass(k."table") and i.indisunique and i.indpred is null
              and (select array_agg(a.attname::text order by a.attname) from pg_attribute a
                   where a.attrelid = i.indrelid and a.attnum = any(i.indkey))
                  = (select array_agg(c order by c) from unnest(k.columns) c))
        order by 1
    """
    message = "no primary key or unique index on {name}"
    hint = "add a unique constraint on {name}"
