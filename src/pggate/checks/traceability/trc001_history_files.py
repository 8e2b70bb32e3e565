from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ...migrations.files import MigrationSet
from ...migrations.history import Applied
from ...results import Finding, Severity
from ..base import Check
from ..context import CheckContext
from ._history import history, migration_set


class HistoryMatchesFiles(Check):
    """An applied migration whose file was edited since, or is missing from the folder.

    **Problem**: what the database ran is no longer what the repository says it ran: the
    history cannot be traced back to reviewed code. ``details.kind`` says which:
    ``edited`` (the checksum recorded at apply differs from the file's) or ``missing``.
    ``validate --env``, ``status`` and this gate all report it from one comparison
    (it was MIG007 and MIG008 before).

    **Fix**: restore the file as applied (``git checkout``) and put changes in a new
    migration; for a missing file, restore it or roll the version back where it was applied.
    """

    id = "TRC001"
    gate = "traceability"
    severity = Severity.ERROR
    verified = "every applied migration matches its file"
    aliases = ("MIG007", "MIG008")

    def rows(self, ctx: CheckContext) -> list[dict[str, Any]]:
        return [{"finding": f} for f in mismatches(migration_set(ctx), history(ctx).applied())]

    def findings(self, ctx: CheckContext, rows: list[dict[str, Any]]) -> Iterable[Finding]:
        return [row["finding"] for row in rows]


def mismatches(mset: MigrationSet, applied: list[Applied]) -> list[Finding]:
    """TRC001 for each applied version whose file was edited since, or is missing locally."""
    check = HistoryMatchesFiles()
    local = mset.by_version()
    findings = []
    for row in applied:
        migration = local.get(row.version)
        if migration is None:
            findings.append(
                check.finding(
                    f"{row.version}_{row.name}",
                    f"version {row.version} ({row.name}) is applied in the database but not in "
                    f"{mset.folder}",
                    "restore the file from git, or roll it back where it was applied",
                    kind="missing",
                )
            )
        elif migration.checksum != row.checksum:
            findings.append(
                check.finding(
                    migration.shown,
                    f"{migration.shown} was edited after it was applied (checksum "
                    f"{row.checksum[:19]}... recorded, {migration.checksum[:19]}... now)",
                    "restore the applied version (git checkout) and put the change in a new "
                    "migration",
                    file=migration.shown,
                    kind="edited",
                )
            )
    return findings
