"""Gate ``rls``: static row-level security coverage, one catalog query per check."""

from __future__ import annotations

import dataclasses

from ...results import GateResult
from ..base import run_checks
from ..context import CheckContext


def run(ctx: CheckContext) -> GateResult:
    """Run every check of the gate; the summary says which schemas counted as exposed and why."""
    result = run_checks("rls", ctx)
    exposure = ctx.exposure()
    summary = {
        **result.summary,
        "exposed_schemas": list(exposure.schemas),
        "exposure": exposure.describe(),
    }
    return dataclasses.replace(result, summary=summary)
