"""Gate ``perf``: bench queries (``checks/bench/*.sql``) compared with a saved baseline.

``pggate bench --save NAME`` records a baseline; ``stage`` saves one before it
migrates and hands it to this gate. Comparing needs two things to agree before
calling a query slower (PRF001): the median grew by more than ``threshold``
(relative) *and* by more than the noise floor (absolute, and beyond the
baseline's own p95). A plan that switched from an index to a sequential scan on
the same table is a warning (PRF002) even when the timings still look fine:
it is the regression that shows once the table grows.
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from ...config import Record, bounded, parse_duration, validates
from ...db import rolled_back
from ...errors import ConfigError
from ...results import Finding, GateResult
from .. import sqlfiles
from ..context import CheckContext
from . import baseline as baselines
from .measure import Measurement, measure
from .prf001_slower import Slower
from .prf002_seq_scan import IndexScanLost
from .prf003_transaction_control import TransactionControl

DIRECTIVES = ("as", "params", "timeout")
CHECKS = (Slower.id, IndexScanLost.id, TransactionControl.id)


class PerfConfig(Record):
    """``[gates.perf]``."""

    path: str = "checks/bench"
    threshold: float = bounded(0.10, ge=0)  # relative growth of the median that counts
    noise_floor: str = "1ms"  # absolute growth below this never counts
    repeat: int = bounded(20, ge=3, le=10_000)
    warmup: int = bounded(3, ge=0, le=1000)
    seed: str | None = None  # run inside the transaction when the tenant tables are empty
    baseline: str | None = None  # compare with this saved baseline (default: the newest)

    @validates("noise_floor")
    def _duration(value: str) -> str:
        parse_duration(value)  # a bad one is a config error now, not when the gate runs
        return value

    @property
    def noise_floor_ms(self) -> float:
        """The noise floor in milliseconds."""
        return (parse_duration(self.noise_floor) or 0.0) * 1000


def config(ctx: CheckContext) -> PerfConfig:
    """The gate's validated configuration."""
    return ctx.gate_config("perf", PerfConfig)


def measure_all(ctx: CheckContext) -> dict[str, Any] | None:
    """Measure every bench query now: the shape of a saved baseline (None: no bench folder)."""
    settings = config(ctx)
    folder = ctx.project.root / settings.path
    if not folder.is_dir():
        if "path" in ctx.project.settings.gates.get("perf", {}):
            raise ConfigError(
                f"[gates.perf] path {settings.path!r} is not a folder",
                hint="create it or fix the path in pggate.toml",
            )
        return None
    files = sqlfiles.load(folder, ctx.project.root, DIRECTIVES)
    refused = {f.shown: found for f in files if (found := TransactionControl.of(f)) is not None}
    files = [f for f in files if f.shown not in refused]  # never sent: a COMMIT would persist
    seed = ctx.project.root / settings.seed if settings.seed else None
    with rolled_back(ctx.conn):
        actors = sqlfiles.Actors(ctx, seed)
        seeded, seed_error = actors.seed_if_empty()
        measured = [
            measure(ctx.conn, actors, f, repeat=settings.repeat, warmup=settings.warmup)
            for f in files
        ]
    return {
        "taken_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "server_version": ctx.session.info.version if ctx.session is not None else None,
        "repeat": settings.repeat,
        "seeded": seeded,
        "seed_error": seed_error,
        "queries": {m.file: m.to_dict() for m in measured},
        "refused": [finding.to_dict() for finding in refused.values()],
    }


def run(ctx: CheckContext) -> GateResult:
    """Measure, then compare with the baseline the pipeline handed over or the saved one."""
    started = time.perf_counter()
    settings = config(ctx)
    before = ctx.options.get("perf_baseline") or _saved(ctx, settings)
    now = measure_all(ctx)
    if now is None:
        return GateResult("perf", skipped=f"no {settings.path}/ folder", checks=CHECKS)
    refused = tuple(Finding.from_dict(f) for f in now["refused"])
    if not now["queries"] and not refused:
        return GateResult("perf", skipped=f"no .sql files in {settings.path}/", checks=CHECKS)
    result = compare(ctx, before, now)
    if refused:  # a refusal is an error whether or not there is a baseline to compare with
        result = replace(result, findings=(*refused, *result.findings), skipped=None)
    return replace(result, duration_ms=(time.perf_counter() - started) * 1000)


def compare(ctx: CheckContext, before: dict[str, Any] | None, now: dict[str, Any]) -> GateResult:
    """Findings and the before/after table of ``now`` against the baseline ``before``."""
    settings = config(ctx)
    if before is None:
        return GateResult(
            "perf",
            (),
            0.0,
            {"after": now},
            CHECKS,
            skipped="no baseline to compare with: save one with pggate bench --save NAME",
        )
    findings: list[Finding] = []
    rows = []
    for file, data in now["queries"].items():
        after = Measurement.from_dict(data)
        old = before.get("queries", {}).get(file)
        base = Measurement.from_dict(old) if old else None
        found = Slower.compare(base, after, settings) + IndexScanLost.compare(base, after)
        findings.extend(found)
        rows.append(_row(file, base, after, found))
    summary = {
        "baseline": before.get("name"),
        "baseline_taken_at": before.get("taken_at"),
        "threshold": settings.threshold,
        "noise_floor_ms": settings.noise_floor_ms,
        "queries": rows,
    }
    return GateResult("perf", tuple(findings), 0.0, summary, CHECKS)


def _saved(ctx: CheckContext, settings: PerfConfig) -> dict[str, Any] | None:
    env = ctx.session.target.name if ctx.session is not None else ctx.options.get("env", "local")
    return baselines.load(ctx.project.root, env, ctx.options.get("baseline") or settings.baseline)


def _row(
    file: str, before: Measurement | None, after: Measurement, found: list[Finding]
) -> dict[str, Any]:
    """One line of the before/after table of the report."""
    row: dict[str, Any] = {
        "file": file,
        "after": after.to_dict(),
        "before": before.to_dict() if before else None,
        "status": "fail"
        if any(f.check == Slower.id for f in found)
        else "warn"
        if found
        else "new"
        if before is None or not before.ok
        else "pass",
    }
    if before is not None and before.ok and after.ok and before.median_ms > 0:
        row["change"] = round(after.median_ms / before.median_ms - 1, 4)
    return row
