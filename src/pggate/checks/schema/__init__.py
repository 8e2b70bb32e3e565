"""Gate ``schema``: integrity of the project's own objects (keys, indexes, extensions, types)."""

from __future__ import annotations

from ...results import GateResult
from ..base import run_checks
from ..context import CheckContext
from . import (  # noqa: F401 - importing registers the checks
    sch001_no_primary_key,
    sch002_duplicate_index,
    sch003_extension_in_public,
    sch004_reg_types,
    sch005_extension_outdated,
)


def run(ctx: CheckContext) -> GateResult:
    """Run every check of the gate."""
    return run_checks("schema", ctx)
