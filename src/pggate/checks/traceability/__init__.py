"""Gate ``traceability``: history matches the files, no manual schema change, audit coverage."""

from __future__ import annotations

from ...config import Record
from ...results import GateResult
from ..base import run_checks
from ..context import CheckContext


class TraceabilityConfig(Record):
    """``[gates.traceability]``."""

    audited_tables: list[str] | str = []  # "all" = every tenant-scoped table
    audit_function: str = "audit"  # a trigger calling a function whose name contains this
    audit_columns: list[str] = []  # columns every tenant-scoped table must have


def config(ctx: CheckContext) -> TraceabilityConfig:
    """The gate's validated configuration."""
    return ctx.gate_config("traceability", TraceabilityConfig)


def run(ctx: CheckContext) -> GateResult:
    """Run every check of the gate."""
    return run_checks("traceability", ctx)
