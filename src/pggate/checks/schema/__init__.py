"""Gate ``schema``: integrity of the project's own objects (keys, indexes, extensions, types)."""

from __future__ import annotations

from ...results import GateResult
from ..base import run_checks
from ..context import CheckContext


def run(ctx: CheckContext) -> GateResult:
    """Run every check of the gate."""
    return run_checks("schema", ctx)
