"""Gate ``identity``: the identity model's contract (tables, columns, keys, foreign keys)."""

from __future__ import annotations

from ...results import GateResult
from ..base import run_checks
from ..context import CheckContext
from .contract import contract


def run(ctx: CheckContext) -> GateResult:
    """Run every check of the gate (skipped when no contract is configured)."""
    if contract(ctx).empty:
        return GateResult("identity", skipped="no [gates.identity] contract configured")
    return run_checks("identity", ctx)
