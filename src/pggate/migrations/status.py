"""``pggate status``: applied, pending, edited after apply, missing from the folder."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..results import Finding
from .files import Migration, MigrationSet
from .history import Applied


@dataclass(frozen=True)
class StatusResult:
    """What ``pggate status`` returns."""

    env: str
    target: str
    applied: tuple[Applied, ...]
    pending: tuple[Migration, ...]
    findings: tuple[Finding, ...]  # TRC001 (files edited or missing), TRC002 (schema drift)

    def exit_code(self) -> int:
        """0: status only reports."""
        return 0

    def _history(self, kind: str) -> list[Finding]:
        return [f for f in self.findings if f.check == "TRC001" and f.details.get("kind") == kind]

    def to_dict(self) -> dict[str, Any]:
        """``{"applied", "pending", "drift", "missing"}`` as DESIGN.md shapes it."""
        return {
            "env": self.env,
            "target": self.target,
            "applied": [a.to_dict() for a in self.applied],
            "pending": [
                {"version": m.version, "name": m.name, "file": m.shown} for m in self.pending
            ],
            "drift": [f.to_dict() for f in self._history("edited")],
            "missing": [f.to_dict() for f in self._history("missing")],
            "schema_drift": [f.to_dict() for f in self.findings if f.check == "TRC002"],
        }


def status(
    mset: MigrationSet,
    applied: list[Applied],
    *,
    env: str,
    target: str,
    findings: list[Finding] | None = None,
) -> StatusResult:
    """Compare the folder with the history (``findings``: what the history checks found)."""
    done = {a.version for a in applied}
    pending = tuple(m for m in mset.migrations if m.version not in done)
    return StatusResult(env, target, tuple(applied), pending, tuple(findings or ()))
