"""Gate ``rls``: static row-level security coverage, one catalog query per check."""

from __future__ import annotations

import dataclasses

from ...results import GateResult
from ..base import run_checks
from ..context import CheckContext


def run(ctx: CheckContext) -> GateResult:
    """Run every check of the gate.

    The summary says which schemas counted as exposed and why, and whether anonymous
    sign-ins were judged to be on (RLS019) and why.
    """
    from .rls019_anonymous_users import anonymous_sign_ins

    result = run_checks("rls", ctx)
    exposure = ctx.exposure()
    summary = {
        **result.summary,
        "exposed_schemas": list(exposure.schemas),
        "exposure": exposure.describe(),
        "anonymous_sign_ins": anonymous_sign_ins(ctx).describe(),
    }
    return dataclasses.replace(result, summary=summary)
