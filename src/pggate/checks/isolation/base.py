"""What the isolation checks share: run as part of the proof, filtered to one id."""

from __future__ import annotations

from typing import Any, ClassVar

from ...results import Finding
from ..base import Check
from ..context import CheckContext


class IsolationCheck(Check):
    """A finding kind of the behavioural proof; ``run`` runs the proof and keeps its own id."""

    abstract = True
    gate = "isolation"
    hint_text: ClassVar[str] = ""

    def run(self, ctx: CheckContext) -> list[Finding]:
        """The proof's findings with this check's id (the case-file tests use this)."""
        from . import run as prove

        return [f for f in prove(ctx).findings if f.check == self.id]

    def findings(self, ctx: CheckContext, rows: list[dict[str, Any]]) -> list[Finding]:
        """Unused: the proof produces the findings."""
        return []
