from __future__ import annotations

from typing import Any

from ...results import Severity
from ..base import QueryCheck
from ..context import CheckContext

# Functions of an exposed schema without ``search_path`` in their settings, minus those an
# extension owns (the extension's, not the project's). ``definer`` picks FUNC001's or FUNC003's.
MUTABLE_SEARCH_PATH = """
    select format('%%I.%%I(%%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)) as name
    from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    where p.prosecdef = %(definer)s and n.nspname = any(%(exposed_schemas)s) and p.prokind in ('f', 'p')
      and not exists (select 1 from unnest(coalesce(p.proconfig, '{}')) c where c like 'search_path=%%')
      and not exists (select 1 from pg_depend d
                      where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
    order by 1
"""


class DefinerWithoutSearchPath(QueryCheck):
    """SECURITY DEFINER function in an exposed schema without a fixed ``search_path``.

    **Problem**: the function runs with its owner's rights but resolves names through the
    caller's ``search_path``. A caller who can create objects in any schema on that path can
    shadow a table or operator and run code as the owner.

    **Fix**::

        alter function public.is_member(uuid) set search_path = '';   -- and qualify every name
    """

    id = "FUNC001"
    gate = "functions"
    severity = Severity.ERROR
    verified = "every SECURITY DEFINER function in an exposed schema pins its `search_path`"
    message = "SECURITY DEFINER function {name} has no fixed search_path"
    hint = "alter function {name} set search_path = '' (and schema-qualify its names)"

    def rows(self, ctx: CheckContext) -> list[dict[str, Any]]:
        params = {**ctx.params(), "definer": True}
        return ctx.conn.execute(MUTABLE_SEARCH_PATH, params).fetchall()
