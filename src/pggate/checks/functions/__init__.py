"""Gate ``functions``: SECURITY DEFINER functions reachable from the API."""

from __future__ import annotations

from ...results import GateResult
from ..base import run_checks
from ..context import CheckContext


def run(ctx: CheckContext) -> GateResult:
    """Run every check of the gate."""
    return run_checks("functions", ctx)
