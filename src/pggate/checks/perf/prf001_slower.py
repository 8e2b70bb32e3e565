"""PRF001: a bench query got slower than its baseline."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...results import Finding, Severity
from ..base import GateCheck
from .measure import Measurement

if TYPE_CHECKING:
    from . import PerfConfig


class Slower(GateCheck):
    """Bench query slower than the baseline beyond the threshold.

    **Problem**: a key query's median time (server-side: planning plus execution, from
    ``EXPLAIN ANALYZE``) grew by more than ``[gates.perf] threshold`` (default 10%) *and* by
    more than the noise floor (1 ms, and beyond the baseline's own p95): the migration
    made it slower, typically by dropping or changing an index, or by a policy that now
    runs a subquery per row.

    **Fix**: compare the plans in the finding (``before``/``after`` nodes); restore the index
    or rewrite the policy (``(select auth.uid())`` instead of ``auth.uid()``). If the cost is
    accepted, save a new baseline: ``pggate bench --env E --save NAME``.
    """

    id = "PRF001"
    gate = "perf"
    severity = Severity.ERROR
    verified = "no bench query got slower than its baseline beyond the threshold"

    @classmethod
    def compare(
        cls, before: Measurement | None, after: Measurement, settings: PerfConfig
    ) -> list[Finding]:
        """The finding when ``after`` is slower than ``before`` beyond threshold and noise."""
        if before is None or not before.ok:
            return []
        if not after.ok:
            return [
                cls().finding(
                    after.file,
                    f"bench query fails now: {after.error}",
                    "it ran before the migration; fix the query or the schema",
                )
            ]
        growth = after.median_ms - before.median_ms
        relative = growth / before.median_ms if before.median_ms > 0 else float("inf")
        if relative <= settings.threshold or growth <= settings.noise_floor_ms:
            return []
        if after.median_ms <= before.p95_ms:  # inside the baseline's own spread
            return []
        return [
            cls().finding(
                after.file,
                f"median {before.median_ms:.2f} ms -> {after.median_ms:.2f} ms "
                f"(+{relative:.0%}, threshold {settings.threshold:.0%})",
                "compare the plans (details.before/after); restore the index or accept with a new baseline",
                before_ms=round(before.median_ms, 3),
                after_ms=round(after.median_ms, 3),
                before_plan=list(before.nodes),
                after_plan=list(after.nodes),
            )
        ]
