from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ...migrations.validate import drift
from ...results import Finding, Severity
from ..base import Check
from ..context import CheckContext
from ._history import history, migration_set


class HistoryMatchesFiles(Check):
    """An applied migration whose file was edited since, or is missing from the folder.

    **Problem**: what the database ran is no longer what the repository says it ran: the
    history cannot be traced back to reviewed code.

    **Fix**: restore the file as applied (``git checkout``) and put changes in a new
    migration; for a missing file, restore it or roll the version back where it was applied.
    """

    id = "TRC001"
    gate = "traceability"
    severity = Severity.ERROR
    verified = "every applied migration matches its file"

    def rows(self, ctx: CheckContext) -> list[dict[str, Any]]:
        return [{"finding": f} for f in drift(migration_set(ctx), history(ctx).applied())]

    def findings(self, ctx: CheckContext, rows: list[dict[str, Any]]) -> Iterable[Finding]:
        for row in rows:
            found: Finding = row["finding"]
            yield self.finding(found.object, found.message, found.hint, source=found.check)
