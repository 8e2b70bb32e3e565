"""Gate ``traceability``: history matches the files, no manual schema change, audit coverage."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from ...results import GateResult
from ..base import run_checks
from ..context import CheckContext
from . import trc001_history_files, trc002_schema_drift, trc003_audit_trigger, trc004_audit_columns  # noqa: F401


class TraceabilityConfig(BaseModel):
    """``[gates.traceability]``."""

    model_config = ConfigDict(extra="forbid")
    audited_tables: list[str] | str = []  # "all" = every tenant-scoped table
    audit_function: str = "audit"  # a trigger calling a function whose name contains this
    audit_columns: list[str] = []  # columns every tenant-scoped table must have


def config(ctx: CheckContext) -> TraceabilityConfig:
    """The gate's validated configuration."""
    return ctx.gate_config("traceability", TraceabilityConfig)


def run(ctx: CheckContext) -> GateResult:
    """Run every check of the gate."""
    return run_checks("traceability", ctx)
