"""Gate ``smoke``: the project's own SQL checks (``checks/smoke/*.sql``), each rolled back.

Every file is one check with an expectation in its leading comments (see
``expectation.py``); they all run inside one transaction that is rolled back,
each in its own savepoint, so they can neither see nor leave each other's
changes. A configured seed fills empty tenant tables first, inside the same
transaction.
"""

from __future__ import annotations

import time
from typing import Any

from ...config import Record
from ...db import rolled_back
from ...errors import ConfigError
from ...results import Finding, GateResult
from .. import sqlfiles
from ..context import CheckContext
from . import smk001_expectation, smk002_not_run, smk003_transaction_control
from .expectation import Expectation

DIRECTIVES = ("expect", "as", "timeout", "params")


class SmokeConfig(Record):
    """``[gates.smoke]``."""

    path: str = "checks/smoke"
    seed: str | None = None  # run inside the transaction when the tenant tables are empty


def run(ctx: CheckContext) -> GateResult:
    """Run every smoke file; the summary lists each with its outcome."""
    started = time.perf_counter()
    config = ctx.gate_config("smoke", SmokeConfig)
    checks = (
        smk001_expectation.FailedExpectation.id,
        smk002_not_run.NotRun.id,
        smk003_transaction_control.TransactionControl.id,
    )
    folder = ctx.project.root / config.path
    if not folder.is_dir():
        if "path" in ctx.project.settings.gates.get("smoke", {}):
            raise ConfigError(
                f"[gates.smoke] path {config.path!r} is not a folder",
                hint="create it or fix the path in pggate.toml",
            )
        return GateResult("smoke", skipped=f"no {config.path}/ folder", checks=checks)
    files = sqlfiles.load(folder, ctx.project.root, DIRECTIVES)
    if not files:
        return GateResult("smoke", skipped=f"no .sql files in {config.path}/", checks=checks)
    expectations = [(f, Expectation.of(f)) for f in files]  # bad input fails before running
    findings: list[Finding] = []
    outcomes: list[dict[str, Any]] = []
    for check, expectation in list(expectations):
        refused = smk003_transaction_control.TransactionControl.of(check)
        if refused is not None:  # never sent: it would commit what the checks do
            findings.append(refused)
            outcomes.append({"file": check.shown, "status": "refused", "got": refused.message})
            expectations.remove((check, expectation))
    seed = ctx.project.root / config.seed if config.seed else None
    with rolled_back(ctx.conn):
        actors = sqlfiles.Actors(ctx, seed)
        seeded, seed_error = actors.seed_if_empty()
        if seed_error is not None:
            findings.append(
                smk002_not_run.NotRun().finding(
                    config.seed or "seed",
                    f"the seed failed: {seed_error}",
                    "fix the seed file; the smoke checks ran without its rows",
                )
            )
        for check, expectation in expectations:
            outcome, finding = smk001_expectation.run_one(ctx, actors, check, expectation)
            outcomes.append(outcome)
            if finding is not None:
                findings.append(finding)
    summary = {"checks": outcomes, "seeded": seeded, "seed_error": seed_error}
    return GateResult(
        "smoke", tuple(findings), (time.perf_counter() - started) * 1000, summary, checks
    )
