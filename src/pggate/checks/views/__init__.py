"""Gate ``views``: views that bypass RLS, and views that no longer work."""

from __future__ import annotations

from ...results import GateResult
from ..base import run_checks
from ..context import CheckContext


def run(ctx: CheckContext) -> GateResult:
    """Run every check of the gate."""
    return run_checks("views", ctx)
