"""Gate ``isolation``: the behavioural cross-tenant proof (RLS010-RLS013).

Inside one transaction that is always rolled back, act as a member of tenant A
and try to read, change, insert and move tenant B's rows in every tenant-scoped
table, each probe in its own savepoint; then try the same as ``anon`` with no
claims. A proof that cannot run is RLS013, never a silent pass.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from ...db import rolled_back
from ...results import Finding, GateResult
from ..base import checks_of
from ..context import CheckContext
from . import rls010_read, rls011_change, rls012_insert, rls013_vacuous  # noqa: F401
from .probe import Prober
from .rls013_vacuous import Vacuous


class IsolationConfig(BaseModel):
    """``[gates.isolation]``."""

    model_config = ConfigDict(extra="forbid")
    seed: str | None = (
        None  # SQL file run inside the proof's transaction when fewer than two tenants have rows
    )
    anon_role: str = "anon"


def run(ctx: CheckContext) -> GateResult:
    """Run the proof on every tenant-scoped table; everything is rolled back."""
    started = time.perf_counter()
    config = ctx.gate_config("isolation", IsolationConfig)
    tables = ctx.tenant_tables()
    checks = tuple(c.id for c in checks_of("isolation"))
    if not tables:
        # Say what was looked at: on a plain PostgreSQL nothing is exposed unless configured.
        reason = f"no tenant-scoped tables ({ctx.exposure().describe()})"
        return GateResult("isolation", skipped=reason, checks=checks)
    findings: list[Finding] = []
    summary: dict[str, Any] = {}
    with rolled_back(ctx.conn):
        prober = Prober(ctx, tables)
        seed = ctx.project.root / config.seed if config.seed else None
        findings.extend(
            prober.prove(seed if seed and Path(seed).is_file() else None, config.anon_role)
        )
        summary = prober.summary()
    if not findings and not summary.get("tables"):
        findings.append(
            Vacuous().finding("isolation", "no table was probed", "see the gate summary")
        )
    return GateResult(
        "isolation", tuple(findings), (time.perf_counter() - started) * 1000, summary, checks
    )
