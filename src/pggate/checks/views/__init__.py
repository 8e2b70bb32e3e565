"""Gate ``views``: views that bypass RLS, and views that no longer work."""

from __future__ import annotations

from ...results import GateResult
from ..base import run_checks
from ..context import CheckContext
from . import (  # noqa: F401 - importing registers the checks
    view001_definer_over_rls,
    view002_broken,
    view003_matview_readable,
    view004_auth_users_exposed,
)


def run(ctx: CheckContext) -> GateResult:
    """Run every check of the gate."""
    return run_checks("views", ctx)
