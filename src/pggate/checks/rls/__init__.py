"""Gate ``rls``: static row-level security coverage, one catalog query per check."""

from __future__ import annotations

import dataclasses

from ...results import GateResult
from ..base import run_checks
from ..context import CheckContext
from . import (  # noqa: F401 - importing registers the checks
    rls001_rls_disabled,
    rls002_not_forced,
    rls003_no_policy,
    rls004_command_not_covered,
    rls005_always_true,
    rls006_missing_with_check,
    rls007_user_metadata,
    rls008_unwrapped_auth_call,
    rls009_policy_column_unindexed,
    rls014_policies_rls_disabled,
    rls015_multiple_permissive,
    rls016_foreign_table_exposed,
    rls017_queue_exposed,
    rls018_public_bucket_listing,
)


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
