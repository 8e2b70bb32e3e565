"""``pggate status``: applied, pending, edited after apply, missing from the folder."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..results import Finding
from .files import Migration, MigrationSet
from .history import Applied
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
        }


def status(mset: MigrationSet, applied: list[Applied], *, env: str, target: str) -> StatusResult:
    """Compare the folder with the history."""
    done = {a.version for a in applied}
    pending = tuple(m for m in mset.migrations if m.version not in done)
    return StatusResult(env, target, tuple(applied), pending, tuple(drift(mset, applied)))
