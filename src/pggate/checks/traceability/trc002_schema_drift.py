from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ...migrations.history import Applied, History
from ...results import Finding, Severity
from ..base import Check
from ..context import CheckContext
from ._history import history


class SchemaDrift(Check):
    """The live schema differs from the fingerprint recorded after the last migration.

    **Problem**: someone (or some tool) changed the database outside migrations. The change
    is in no file, no review and no rollback; the next environment will not have it.
    ``validate --env``, ``status`` and this gate all report it from one comparison
    (it was MIG011, a warning, before).

    **Fix**: put the change in a migration, or revert it by hand; ``pggate diff`` shows it.
    """

    id = "TRC002"
    gate = "traceability"
    severity = Severity.ERROR
    verified = "the live schema matches the fingerprint recorded after the last migration"
    aliases = ("MIG011",)

    def rows(self, ctx: CheckContext) -> list[dict[str, Any]]:
        return [{"finding": f} for f in schema_drift(ctx.conn, history(ctx))]

    def findings(self, ctx: CheckContext, rows: list[dict[str, Any]]) -> Iterable[Finding]:
        return [row["finding"] for row in rows]


def schema_drift(
    conn: Any, history: History, applied: list[Applied] | None = None
) -> list[Finding]:
    """TRC002 when the live schema differs from the one recorded after the last migration.

    Compares with the newest applied version that has a recorded fingerprint. A full
    snapshot is taken only when the catalog digest differs from the one of the last
    snapshot that matched. ``applied``: the history's rows, when the caller read them.
    """
    from ...schema import fingerprint as fp
    from ...schema.digest import catalog_digest

    rows = history.applied() if applied is None else applied
    recorded = [a for a in rows if a.fingerprint]
    if not recorded:
        return []
    version = recorded[-1].version
    fingerprint, compressed = history.snapshot_of(version)
    if fingerprint and not fp.comparable(fingerprint):
        return [
            SchemaDrift().finding(
                f"schema after {version}",
                f"drift not checked: the fingerprint recorded after {version} is not "
                f"comparable: {fp.other_format(fingerprint)}",
                "the next migrate records a fingerprint in the current format",
                severity=Severity.INFO,
            )
        ]
    # Taken before the snapshot: a change racing in between makes the next run look again.
    digest = catalog_digest(conn)
    proven_unchanged = f"{version}:{fingerprint}:{digest}"
    if history.unchanged_schema_digest() == proven_unchanged:
        return []
    from ...schema.diff import diff
    from ...schema.snapshot import take

    live = take(conn)
    if fp.of(live) == fingerprint:
        history.remember_unchanged_schema_digest(proven_unchanged)
        return []
    lines = diff(fp.decompress(compressed), live) if compressed else []
    return [
        SchemaDrift().finding(
            f"schema after {version}",
            f"the live schema differs from the one recorded after migration {version} "
            f"({len(lines)} change(s)): "
            + "; ".join(lines[:5])
            + ("; ..." if len(lines) > 5 else ""),
            "someone changed the database outside migrations: put the change in a migration, or "
            "revert it by hand; `pggate diff` shows it in full",
            diff=lines,
        )
    ]
