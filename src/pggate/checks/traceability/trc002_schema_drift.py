from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ...migrations.status import schema_drift
from ...results import Finding, Severity
from ..base import Check
from ..context import CheckContext
from ._history import history


class SchemaDrift(Check):
    """The live schema differs from the fingerprint recorded after the last migration.

    **Problem**: someone (or some tool) changed the database outside migrations. The change
    is in no file, no review and no rollback; the next environment will not have it.

    **Fix**: put the change in a migration, or revert it by hand; ``pggate diff`` shows it.
    """

    id = "TRC002"
    gate = "traceability"
    severity = Severity.ERROR
    verified = "the live schema matches the fingerprint recorded after the last migration"

    def rows(self, ctx: CheckContext) -> list[dict[str, Any]]:
        return [{"finding": f} for f in schema_drift(ctx.conn, history(ctx))]

    def findings(self, ctx: CheckContext, rows: list[dict[str, Any]]) -> Iterable[Finding]:
        for row in rows:
            found: Finding = row["finding"]
            yield self.finding(
                found.object, found.message, found.hint, diff=found.details.get("diff")
            )
