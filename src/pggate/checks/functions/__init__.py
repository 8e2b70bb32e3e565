"""Gate ``functions``: SECURITY DEFINER functions reachable from the API."""

from __future__ import annotations

from ...results import GateResult
from ..base import run_checks
from ..context import CheckContext
from . import (  # noqa: F401 - importing registers the checks
    func001_definer_search_path,
    func002_definer_anon,
    func003_invoker_search_path,
)


def run(ctx: CheckContext) -> GateResult:
    """Run every check of the gate."""
    return run_checks("functions", ctx)
