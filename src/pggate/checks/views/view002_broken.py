from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import psycopg
from psycopg import sql

from ...results import Finding, Severity
from ..base import Check
from ..context import CheckContext


class BrokenView(Check):
    """View in an exposed schema that cannot be queried.

    **Problem**: a migration changed something a view depends on in a way PostgreSQL does
    not track (a function body, a renamed column used in a function it calls), so the view
    now fails at query time and every API call using it errors.

    **Fix**: recreate the view against the new schema (``create or replace view``), in a migration.
    """

    id = "VIEW002"
    gate = "views"
    severity = Severity.ERROR
    verified = "every view in an exposed schema can be queried"

    def rows(self, ctx: CheckContext) -> list[dict[str, Any]]:
        return ctx.exposed_views()  # schema, name, view (qualified): found once for the gate

    def findings(self, ctx: CheckContext, rows: list[dict[str, Any]]) -> Iterable[Finding]:
        # Running each view is the only way to know it works. LIMIT 1, not LIMIT 0: an error
        # raised while computing a row (a function the view calls) only shows when a row is made.
        for row in rows:
            try:
                with ctx.conn.transaction():
                    ctx.conn.execute("set local statement_timeout = '5s'")
                    ctx.conn.execute(
                        sql.SQL("select * from {} limit 1").format(
                            sql.Identifier(row["schema"], row["name"])
                        )
                    )
            except psycopg.Error as exc:
                yield self.finding(
                    row["view"],
                    f"view {row['view']} fails: {exc.diag.message_primary}",
                    f"recreate {row['view']} against the current schema in a migration",
                    sqlstate=exc.sqlstate,
                )
