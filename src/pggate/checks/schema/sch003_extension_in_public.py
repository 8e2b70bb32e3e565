from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ...results import Finding, Severity
from ..base import Check
from ..context import CheckContext


class ExtensionInPublic(Check):
    """Extension installed in the ``public`` schema.

    **Problem**: an extension's functions, types and tables land next to the project's own
    objects: in an exposed ``public`` they are reachable through the API (functions as
    ``/rpc`` endpoints, PUBLIC can execute them by default), they clutter the schema the
    API documents, and moving the extension later breaks whatever references them.

    **Fix**: install it in its own schema (Supabase uses ``extensions``)::

        alter extension pg_trgm set schema extensions;  -- where the extension allows it
    """

    id = "SCH003"
    gate = "schema"
    severity = Severity.WARNING
    verified = "no extension is installed in `public`"
    query = """
        select e.extname as name, e.extversion as version, e.extrelocatable as relocatable
        from pg_extension e join pg_namespace n on n.oid = e.extnamespace
        where n.nspname = 'public'
        order by 1
    """

    def findings(self, ctx: CheckContext, rows: list[dict[str, Any]]) -> Iterable[Finding]:
        for row in rows:
            hint = (
                f"alter extension {row['name']} set schema extensions"
                if row["relocatable"]
                else f"drop extension {row['name']}; create extension {row['name']} schema extensions"
            )
            yield self.finding(
                f"extension {row['name']}",
                f"extension {row['name']} is installed in public",
                hint,
            )
