"""What a report says, computed once from an evidence package for every format.

The Markdown and HTML reports are two layouts of this one view: the verdict
and why, the steps, the migrations, each gate's checks and findings, the
performance table, the rollback rehearsal, the recommendation and the sign-off.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..results import (
    Finding,
    GateResult,
    Severity,
    Status,
    StepResult,
    count_by_severity,
    worst_first,
)
from .package import Evidence

APPROVERS = ("Release engineer", "Database owner", "Security reviewer", "Product owner")
STEP_TITLES = {
    "environment": "Environment",
    "validate": "Validate migrations",
    "baseline": "Baseline",
    "migrate": "Migrate",
    "security": "Security gates",
    "integrity": "Integrity gates",
    "performance": "Performance",
    "rollback": "Rollback rehearsal",
    "report": "Report",
}


@dataclass(frozen=True)
class GateView:
    """One gate as the report shows it."""

    step: str
    gate: GateResult
    titles: dict[str, str]

    @property
    def findings(self) -> list[Finding]:
        """Worst first."""
        return worst_first(self.gate.findings)

    def detail_rows(self) -> tuple[list[str], list[list[str]]]:
        """What the gate looked at, when its summary says: smoke files, isolation probes."""
        summary = self.gate.summary
        if self.gate.gate == "smoke" and summary.get("checks"):
            rows = [
                [
                    c["file"],
                    c.get("as") or "-",
                    c.get("expect", ""),
                    c.get("got", ""),
                    str(c.get("status", "")).upper(),
                ]
                for c in summary["checks"]
            ]
            return ["smoke check", "as", "expected", "got", "status"], rows
        if self.gate.gate == "isolation" and summary.get("tables"):
            probes = ("read", "update", "delete", "insert", "move")
            rows = [
                [table, *(str(result.get(p, "-")) for p in probes)]
                for table, result in summary["tables"].items()
            ]
            return ["table (as a member of another tenant)", *probes], rows
        return [], []

    def check_rows(self) -> list[dict[str, Any]]:
        """Every check that ran: id, title, status and its number of findings."""
        rows = []
        for check in self.gate.checks:
            mine = [f for f in self.gate.findings if f.check == check]
            worst = max((f.severity.rank for f in mine), default=-1)
            status = "fail" if worst >= Severity.ERROR.rank else "warn" if mine else "pass"
            rows.append(
                {
                    "check": check,
                    "title": self.titles.get(check, ""),
                    "status": status,
                    "findings": len(mine),
                }
            )
        return rows


class ReportView:
    """The report's content, read from an ``Evidence``."""

    def __init__(self, evidence: Evidence) -> None:
        self.evidence = evidence
        self.manifest = evidence.manifest
        self.run = evidence.run

    # ---------------------------------------------------------------- headline

    @property
    def verdict(self) -> str:
        """``GO`` or ``NO-GO``."""
        return self.run.verdict

    @property
    def env(self) -> str:
        """The environment's name."""
        return self.run.env

    @property
    def incomplete(self) -> str | None:
        """Why the package is incomplete (the run stopped), or None for a finished run."""
        if self.evidence.complete:
            return None
        stopped = self.evidence.stopped_during
        where = f"stopped during step {stopped}" if stopped else "stopped before it finished"
        return (
            f"Incomplete package: the run {where} and never finished; the steps recorded "
            "before that are what was proven, nothing after them was checked."
        )

    @property
    def counts(self) -> dict[str, int]:
        """Findings by severity."""
        return count_by_severity(self.run.findings)

    def reasons(self) -> list[str]:
        """Why the verdict: the failed steps and gates with their first errors, or why GO."""
        reasons = []
        for step in self.run.steps:
            if step.status == Status.ERROR and step.error:
                reasons.append(
                    f"step {step.step} could not complete: {_first_line(step.error.get('message', ''))}"
                )
            elif step.status == Status.FAIL and not step.gates:
                errors = [f for f in step.findings if f.severity == Severity.ERROR]
                shown = "; ".join(f"{f.check} {f.object}" for f in errors[:3])
                reasons.append(f"step {step.step} failed" + (f": {shown}" if shown else ""))
            for gate in step.gates:
                errors = [f for f in gate.findings if f.severity == Severity.ERROR]
                if errors:
                    shown = "; ".join(f"{f.check} {f.object}" for f in worst_first(errors)[:3])
                    more = f" and {len(errors) - 3} more" if len(errors) > 3 else ""
                    reasons.append(
                        f"gate {gate.gate} failed with {len(errors)} error(s): {shown}{more}"
                    )
        if not reasons:
            applied = len(self.applied())
            ran = [g for g in self.gates() if g.gate.skipped is None]
            reasons.append(
                f"every step passed; {applied} migration(s) applied and proven by "
                f"{len(ran)} gate(s)"
            )
        return reasons

    # ----------------------------------------------------------------- sections

    def steps(self) -> list[StepResult]:
        """Every step in order."""
        return list(self.run.steps)

    def environment_facts(self) -> dict[str, Any]:
        """Environment, target (masked), versions, git commit, times."""
        target = self.manifest.get("target", {})
        git = self.manifest.get("git") or {}
        commit = git.get("commit", "")[:12] + (" (uncommitted changes)" if git.get("dirty") else "")
        return {
            "Environment": self.env,
            "Target": target.get("url", "-"),
            "Server version": target.get("server_version", "-"),
            "pggate version": self.manifest.get("pggate_version", "-"),
            "Project": self.manifest.get("project", "-"),
            "Git commit": commit or "-",
            "Run id": self.run.run_id,
            "Started": self.manifest.get("started_at", "-"),
            "Finished": self.manifest.get("finished_at", "-"),
        }

    def applied(self) -> list[dict[str, Any]]:
        """Migrations this run applied (version, name, duration_ms)."""
        step = self.evidence.step("migrate")
        return list(step.data.get("applied", [])) if step is not None else []

    def migration_error(self) -> dict[str, Any] | None:
        """The failed migration's error (message, hint, file, line) when migrate failed."""
        step = self.evidence.step("migrate")
        if step is None or step.error is None:
            return None
        failure = step.error.get("failure") or {}
        return {
            "message": step.error.get("message", ""),
            "hint": step.error.get("hint", ""),
            "file": failure.get("file"),
            "line": failure.get("line"),
        }

    def gates(self) -> list[GateView]:
        """Every gate that was run, in pipeline order."""
        views = []
        for step in self.run.steps:
            titles = step.data.get("titles", {})
            views.extend(GateView(step.step, gate, titles) for gate in step.gates)
        return views

    def perf_rows(self) -> list[dict[str, Any]]:
        """Bench queries before/after: file, before_ms, after_ms, change, status."""
        for view in self.gates():
            if view.gate.gate == "perf":
                rows = []
                for row in view.gate.summary.get("queries", []):
                    before = row.get("before") or {}
                    after = row.get("after") or {}
                    rows.append(
                        {
                            "file": row["file"],
                            "before_ms": before.get("median_ms"),
                            "after_ms": after.get("median_ms"),
                            "change": row.get("change"),
                            "status": row.get("status", "pass"),
                        }
                    )
                return rows
        return []

    def rollback(self) -> StepResult | None:
        """The rollback rehearsal step."""
        return self.evidence.step("rollback")

    def recommendation(self) -> list[str]:
        """What to do next, in sentences."""
        applied = self.applied()
        if self.verdict == "GO":
            versions = ", ".join(m["version"] for m in applied) or "none"
            lines = [
                f"Promote: the {len(applied)} migration(s) applied here (versions {versions}) "
                "passed every gate on this environment."
            ]
            lines.append(
                "Take a backup of production first, run `pggate stage --env production` "
                "(it asks before migrating), and attach both reports to the release."
            )
            rollback = self.rollback()
            if rollback is None or rollback.status == Status.SKIP:
                lines.append(
                    "The rollback was not rehearsed: rerun with `--rehearse-rollback` "
                    "before promoting if the release may need to be reverted."
                )
            if self.counts["warning"]:
                lines.append(
                    f"Review the {self.counts['warning']} warning(s) below; they do not "
                    "block the release."
                )
            return lines
        lines = ["Do not promote. Fix the following, then run the pipeline again:"]
        for reason in self.reasons():
            lines.append(f"- {reason}")
        hints = []
        for finding in worst_first(self.run.findings):
            if finding.severity == Severity.ERROR and finding.hint and finding.hint not in hints:
                hints.append(finding.hint)
        lines.extend(f"- fix: {hint}" for hint in hints[:5])
        return lines

    def files(self) -> list[dict[str, Any]]:
        """Evidence files with checksums (the reports themselves excluded)."""
        return list(self.evidence.files)


def _first_line(text: str) -> str:
    return (text.strip().splitlines() or [""])[0]
