"""``pggate status``: applied, pending, edited after apply, missing from the folder."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..results import Finding, Severity
from .files import GATE, Migration, MigrationSet
from .history import Applied, History
from .validate import drift


@dataclass(frozen=True)
class StatusResult:
    """What ``pggate status`` returns."""

    env: str
    target: str
    applied: tuple[Applied, ...]
    pending: tuple[Migration, ...]
    findings: tuple[Finding, ...]  # MIG007 drift and MIG008 missing

    def exit_code(self) -> int:
        """0: status only reports."""
        return 0

    def to_dict(self) -> dict[str, Any]:
        """``{"applied", "pending", "drift", "missing"}`` as DESIGN.md shapes it."""
        return {
            "env": self.env,
            "target": self.target,
            "applied": [a.to_dict() for a in self.applied],
            "pending": [
                {"version": m.version, "name": m.name, "file": m.shown} for m in self.pending
            ],
            "drift": [f.to_dict() for f in self.findings if f.check == "MIG007"],
            "missing": [f.to_dict() for f in self.findings if f.check == "MIG008"],
            "schema_drift": [f.to_dict() for f in self.findings if f.check == "MIG011"],
        }


def status(
    mset: MigrationSet,
    applied: list[Applied],
    *,
    env: str,
    target: str,
    extra: list[Finding] | None = None,
) -> StatusResult:
    """Compare the folder with the history (``extra``: schema drift findings)."""
    done = {a.version for a in applied}
    pending = tuple(m for m in mset.migrations if m.version not in done)
    return StatusResult(
        env, target, tuple(applied), pending, (*drift(mset, applied), *(extra or []))
    )


def schema_drift(conn: Any, history: History) -> list[Finding]:
    """MIG011 when the live schema differs from the one recorded after the last migration.

    Someone changed the database by hand (or another tool did). Compares with the
    newest applied version that has a recorded fingerprint. A full snapshot is taken only
    when the catalog digest differs from the one of the last snapshot that matched.
    """
    from ..schema import fingerprint as fp
    from ..schema.diff import diff
    from ..schema.digest import catalog_digest
    from ..schema.snapshot import take

    recorded = [a for a in history.applied() if a.fingerprint]
    if not recorded:
        return []
    version = recorded[-1].version
    fingerprint, compressed = history.snapshot_of(version)
    # Taken before the snapshot: a change racing in between makes the next run look again.
    digest = catalog_digest(conn)
    proven_unchanged = f"{version}:{fingerprint}:{digest}"
    if history.unchanged_schema_digest() == proven_unchanged:
        return []
    live = take(conn, exclude_schemas=[history.schema])
    if fp.of(live) == fingerprint:
        history.remember_unchanged_schema_digest(proven_unchanged)
        return []
    lines = diff(fp.decompress(compressed), live) if compressed else []
    return [
        Finding(
            "MIG011",
            GATE,
            Severity.WARNING,
            f"schema after {version}",
            f"the live schema differs from the one recorded after migration {version} "
            f"({len(lines)} change(s)): "
            + "; ".join(lines[:5])
            + ("; ..." if len(lines) > 5 else ""),
            "someone changed the database outside migrations: put the change in a migration, or "
            "revert it by hand; `pggate diff` shows it in full",
            details={"diff": lines},
        )
    ]
