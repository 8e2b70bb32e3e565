"""PRF002: a bench query's plan lost its index scan."""

from __future__ import annotations

from ...results import Finding, Severity
from ..base import GateCheck
from .measure import INDEX_SCANS, Measurement


class IndexScanLost(GateCheck):
    """A bench query now scans a table sequentially where it used an index.

    **Problem**: the plan before the migration read the table through an index; now it
    reads every row. On a small staging table the time may not show it yet; on
    production's table it will.

    **Fix**: check the migration for a dropped or changed index, a changed column type
    (an index on the old type no longer matches) or a new function call around the
    indexed column; restore an index the query can use.
    """

    id = "PRF002"
    gate = "perf"
    severity = Severity.WARNING
    verified = "no bench query lost an index scan to a sequential scan"

    @classmethod
    def compare(cls, before: Measurement | None, after: Measurement) -> list[Finding]:
        """One finding per table that went from an index scan to a sequential one."""
        if before is None or not before.ok or not after.ok:
            return []
        lost = (before.scans(INDEX_SCANS) - after.scans(INDEX_SCANS)) & after.scans(
            frozenset({"Seq Scan"})
        )
        return [
            cls().finding(
                after.file,
                f"{table}: index scan before, sequential scan now",
                f"restore an index on {table} the query can use",
                table=table,
            )
            for table in sorted(lost)
        ]
