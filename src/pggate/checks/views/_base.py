"""What the view checks share: their views, found once per run by the context."""

from __future__ import annotations

from typing import Any, ClassVar

from ..base import QueryCheck
from ..context import CheckContext, array_literal


class ViewCheck(QueryCheck):
    """A check whose query reads the exposed views of ``kinds`` through ``%(view_oids)s``.

    The views come from ``ctx.exposed_views()`` (one query shared by the gate), so no check
    scans all of pg_class for them; without such views there is nothing to query.
    """

    abstract = True
    kinds: ClassVar[tuple[str, ...]] = ("v", "m")

    def rows(self, ctx: CheckContext) -> list[dict[str, Any]]:
        oids = [v["oid"] for v in ctx.exposed_views() if v["kind"] in self.kinds]
        if not oids:
            return []
        params = {**ctx.params(), "view_oids": array_literal(oids)}
        return ctx.conn.execute(self.query, params).fetchall()
