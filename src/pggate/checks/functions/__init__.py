"""Gate ``functions``: SECURITY DEFINER functions reachable from the API."""

from __future__ import annotations

from ...results import GateResult
from ..base import run_checks
from ..context import CheckContext
from . import func001_definer_search_path, func002_definer_anon  # noqa: F401


def run(ctx: CheckContext) -> GateResult:
    """Run every check of the gate."""
    return run_checks("functions", ctx)
