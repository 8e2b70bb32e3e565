"""What a report says, computed once from an evidence package for every format.

The Markdown, HTML and JUnit reports are layouts of this one view, in the order a
reviewer reads: the verdict and its reasons (whole sentences, each with its fix),
what needs attention (errors, then warnings, from every step), what changed since
the previous run, then what was proven (steps, migrations, the isolation matrix,
the rollback rehearsal, performance, each gate's checks named by what they
verified), the recommendation and the sign-off.
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
from .isolation import IsolationView, isolation_view
from .reader import Evidence

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
# What each step proves when it passes (JUnit names, the timeline's tooltips).
STEP_VERIFIED = {
    "environment": "the server answered and its role, version and settings were inspected",
    "validate": "every migration file parses and the history matches the files",
    "baseline": "the schema and the bench timings were recorded before migrating",
    "migrate": "every pending migration applied atomically with its history row",
    "security": "every security gate passed",
    "integrity": "every integrity gate passed",
    "performance": "no bench query regressed against the baseline",
    "rollback": "rolling back restores the recorded schema and migrating again gives the same one",
    "report": "the reports were rendered from the evidence package",
}

# What the findings of steps that are not gates verify when absent (JUnit names them so).
STEP_CHECK_VERIFIED = {
    "ENV001": "the connected role is not a superuser",
    "ENV002": "the connected role does not bypass row-level security",
    "ENV003": "the connection to a non-local environment uses SSL or a Unix socket",
    "ENV004": "pggate's history table exists",
    "ENV005": "the server accepts writes (not a read-only standby)",
    "ENV006": "the server is a PostgreSQL version pggate supports",
    "ENV007": "the role can create schemas in the database",
    "ENV008": "the connection does not go through a transaction-mode pooler",
    "MIG012": "every pending migration applied without error",
    "RBK001": "rolling back restores the schema recorded at the target version",
    "RBK002": "migrating forward again gives the schema of the first apply",
}


@dataclass(frozen=True)
class Attention:
    """A finding that needs a reviewer's eyes, with where it came from."""

    where: str  # "environment", "gate rls", "rollback rehearsal"
    finding: Finding

    @property
    def key(self) -> str | None:
        """One leaked row's key, when the finding is a leak."""
        for name in ("key", "leaked_key", "sample_key"):
            if self.finding.details.get(name) is not None:
                return str(self.finding.details[name])
        return None

    @property
    def diff(self) -> list[str]:
        """The objects that differ, when the finding is an unproven schema."""
        diff = self.finding.details.get("diff")
        return [str(line) for line in diff] if isinstance(diff, list) else []

    @property
    def error(self) -> str | None:
        """The full error behind the finding (a failed statement and where), when it carries one."""
        error = self.finding.details.get("error")
        return str(error) if isinstance(error, str) and error.strip() else None

    @property
    def statement(self) -> str | None:
        """The SQL statement the finding is about, when it names one."""
        statement = self.finding.details.get("statement")
        return str(statement) if statement else None


@dataclass(frozen=True)
class GateView:
    """One gate as the report shows it."""

    step: str
    gate: GateResult
    titles: dict[str, str]
    verified: dict[str, str]

    @property
    def findings(self) -> list[Finding]:
        """Worst first."""
        return worst_first(self.gate.findings)

    @property
    def needs_attention(self) -> bool:
        """The gate failed or warned: shown open, not collapsed."""
        return self.gate.status in (Status.FAIL, Status.WARN) or bool(self.not_proven_rows())

    def isolation(self) -> IsolationView | None:
        """The probe matrix, for the isolation gate."""
        if self.gate.gate != "isolation":
            return None
        return isolation_view(self.gate.summary, list(self.gate.findings))

    def not_proven_rows(self) -> dict[str, list[str]]:
        """Check -> tables where its probes did not run (so the check cannot show PASS)."""
        matrix = self.isolation()
        if matrix is None:
            return {}
        return {c: t for c in self.gate.checks if (t := matrix.not_proven(c))}

    def detail_rows(self) -> tuple[list[str], list[list[str]]]:
        """What the gate looked at, when its summary says: the smoke files."""
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
        return [], []

    def check_rows(self) -> list[dict[str, Any]]:
        """Every check that ran: id, what it verified, status, findings; failures first."""
        not_proven = self.not_proven_rows()
        rows = []
        for check in self.gate.checks:
            mine = [f for f in self.gate.findings if f.check == check]
            worst = max((f.severity.rank for f in mine), default=-1)
            status = "fail" if worst >= Severity.ERROR.rank else "warn" if mine else "pass"
            note = ""
            if status == "pass" and check in not_proven:
                status = "not-proven"
                note = f"not run on {len(not_proven[check])} table(s): " + ", ".join(
                    not_proven[check]
                )
            rows.append(
                {
                    "check": check,
                    "verified": self.verified.get(check) or self.titles.get(check, ""),
                    "problem": self.titles.get(check, ""),
                    "status": status,
                    "label": STATUS_LABELS[status],
                    "findings": len(mine),
                    "note": note,
                }
            )
        order = {"fail": 0, "warn": 1, "not-proven": 2, "pass": 3}
        return sorted(rows, key=lambda r: order[r["status"]])


STATUS_LABELS = {"fail": "FAIL", "warn": "WARN", "not-proven": "NOT PROVEN", "pass": "PASS"}


@dataclass(frozen=True)
class RollbackView:
    """The rehearsal as the report shows it."""

    status: str
    ran: bool
    sentences: tuple[str, ...]  # what happened, as whole sentences
    diff: tuple[str, ...]  # objects that differ from the recorded schema
    error: str | None  # the full error (lists of statements kept as lines)
    hint: str | None


class ReportView:
    """The report's content, read from an ``Evidence``."""

    def __init__(self, evidence: Evidence, comparison: Any = None) -> None:
        self.evidence = evidence
        self.manifest = evidence.manifest
        self.run = evidence.run
        self.comparison = comparison

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
        """Findings by severity (a step that could not run counts as an error)."""
        return count_by_severity(item.finding for item in self._all_findings())

    def reasons(self) -> list[str]:
        """Why the verdict, as whole sentences with the fix: each failed step and gate."""
        reasons = []
        for step in self.run.steps:
            title = STEP_TITLES.get(step.step, step.step)
            if step.status == Status.ERROR and step.error:
                reasons.append(_error_sentence(title, step.error))
            elif step.status == Status.FAIL and not step.gates:
                errors = worst_first(f for f in step.findings if f.severity == Severity.ERROR)
                reasons.append(
                    f"Step {title} failed" + (_listed(errors) + _fix(errors) if errors else ".")
                )
            for gate in step.gates:
                errors = worst_first(f for f in gate.findings if f.severity == Severity.ERROR)
                if errors:
                    reasons.append(
                        f"Gate {gate.gate} failed with {len(errors)} error(s)"
                        + _listed(errors)
                        + _fix(errors)
                    )
        if not reasons:
            applied = len(self.applied())
            ran = [g for g in self.gates() if g.gate.skipped is None]
            reasons.append(
                f"Every step passed: {applied} migration(s) applied and proven by "
                f"{len(ran)} gate(s)."
            )
        warnings = [a for a in self.attention() if a.finding.severity == Severity.WARNING]
        if warnings:
            shown = ", ".join(dict.fromkeys(f"{a.finding.check} ({a.where})" for a in warnings[:4]))
            more = f" and {len(warnings) - 4} more" if len(warnings) > 4 else ""
            reasons.append(
                f"{len(warnings)} warning(s) to review before signing: {shown}{more}; "
                "they do not block the release."
            )
        return reasons

    def attention(self) -> list[Attention]:
        """Every error, then every warning, of every step and gate, in pipeline order."""
        items = self._all_findings()
        return [
            item
            for severity in (Severity.ERROR, Severity.WARNING)
            for item in items
            if item.finding.severity == severity
        ]

    def notes(self) -> list[Attention]:
        """The info findings (shown with the proven detail)."""
        return [a for a in self._all_findings() if a.finding.severity == Severity.INFO]

    def _all_findings(self) -> list[Attention]:
        items = []
        for step in self.run.steps:
            where = STEP_TITLES.get(step.step, step.step).lower()
            items.extend(Attention(where, f) for f in worst_first(step.findings))
            if step.error and not any(f.severity == Severity.ERROR for f in step.findings):
                items.append(Attention(where, _error_finding(step)))
            for gate in step.gates:
                items.extend(Attention(f"gate {gate.gate}", f) for f in worst_first(gate.findings))
        return items

    # ----------------------------------------------------------------- sections

    def steps(self) -> list[StepResult]:
        """Every step in order."""
        return list(self.run.steps)

    def timeline(self) -> list[dict[str, Any]]:
        """Each step: title, status, duration, and why it was skipped or stopped."""
        rows = []
        for step in self.run.steps:
            note = ""
            if step.status == Status.SKIP:
                note = str(step.data.get("reason", "skipped"))
            elif step.error:
                note = _first_line(str(step.error.get("message", "")))
            rows.append(
                {
                    "step": step.step,
                    "title": STEP_TITLES.get(step.step, step.step),
                    "status": str(step.status),
                    "duration_ms": step.duration_ms,
                    "note": note,
                    "verified": STEP_VERIFIED.get(step.step, ""),
                }
            )
        return rows

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
        """The failed migration's error (message, hint, file, line, statement) when migrate failed."""
        step = self.evidence.step("migrate")
        if step is None or step.error is None or not step.error.get("failure"):
            return None
        failure = step.error.get("failure") or {}
        return {
            "message": step.error.get("message", ""),
            "hint": step.error.get("hint", ""),
            "file": failure.get("file"),
            "line": failure.get("line"),
            "statement": failure.get("statement"),
        }

    def gates(self) -> list[GateView]:
        """Every gate that was run, in pipeline order."""
        views = []
        for step in self.run.steps:
            titles = step.data.get("titles", {})
            verified = step.data.get("verified", {})
            views.extend(GateView(step.step, gate, titles, verified) for gate in step.gates)
        return views

    def isolation(self) -> tuple[GateView, IsolationView | None] | None:
        """The isolation gate and its matrix, when the gate was part of the run."""
        for view in self.gates():
            if view.gate.gate == "isolation":
                return view, view.isolation()
        return None

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

    def rollback(self) -> RollbackView:
        """The rehearsal: what happened in sentences, the diff inline, the whole error."""
        step = self.evidence.step("rollback")
        if step is None:
            stopped = next((s for s in self.run.steps if s.step == "rollback"), None)
            reason = (
                str(stopped.data.get("reason", "not run")) if stopped is not None else "not run"
            )
            return _not_rehearsed(reason)
        if step.status == Status.SKIP:
            reason = str(step.data.get("reason", "not run"))
            return _not_rehearsed(reason)
        if step.error:
            return RollbackView(
                str(step.status),
                True,
                ("The rehearsal could not complete.",),
                (),
                str(step.error.get("message", "")),
                step.error.get("hint"),
            )
        data = step.data
        proof = data.get("proof", {})
        status = proof.get("status", "?")
        undone = data.get("undone") or []
        sentences = [
            f"Rolled back {len(data.get('reverted', []) or undone)} migration(s) to version "
            f"{data.get('to')}: the schema is {_proof_words(status)}."
        ]
        if proof.get("message") and status != "proven":
            sentences.append(_capital(_sentence(str(proof["message"]))))
        failed = data.get("reapply_error")
        if undone:
            sentences.append(
                "The downs and the proof ran in one transaction, rolled back when the proof "
                "failed: the schema is still the one this run migrated, with nothing to "
                "migrate forward again."
            )
        elif failed:
            sentences.append(
                "Migrating forward again failed: "
                + _sentence(_first_line(str(failed.get("message", ""))))
            )
        else:
            sentences.append(
                f"Migrated forward again ({len(data.get('reapplied', []))} migration(s)): "
                + (
                    "the schema is identical to the first apply."
                    if data.get("identical")
                    else "the schema is DIFFERENT from the first apply."
                )
            )
        diff = [str(d) for d in proof.get("diff", [])]
        for finding in step.findings:
            diff.extend(str(d) for d in finding.details.get("diff", []) if str(d) not in diff)
        return RollbackView(
            str(step.status),
            True,
            tuple(sentences),
            tuple(diff),
            str(failed.get("message", "")) if failed else None,
            None,  # the failed migration's own hint ("fix the file") is not the fix here
        )

    def recommendation(self) -> tuple[str, list[str]]:
        """What to do next: a lead sentence and a list of actions."""
        applied = self.applied()
        if self.verdict == "GO":
            versions = ", ".join(m["version"] for m in applied) or "none"
            lead = (
                f"Promote: the {len(applied)} migration(s) applied here (versions {versions}) "
                "passed every gate on this environment."
            )
            actions = [
                "Take a backup of production first.",
                "Run `pggate stage --env production` (it asks once before changing anything).",
                "Attach both reports to the release.",
            ]
            rollback = self.evidence.step("rollback")
            if rollback is None or rollback.status == Status.SKIP:
                actions.append(
                    "Rerun with `--rehearse-rollback` before promoting if the release may "
                    "need to be reverted: the rollback was not rehearsed."
                )
            if self.counts["warning"]:
                actions.append(
                    f"Review the {self.counts['warning']} warning(s) under Needs attention; "
                    "they do not block the release."
                )
            return lead, actions
        hints: list[str] = []
        for item in self.attention():
            hint = item.finding.hint
            if item.finding.severity == Severity.ERROR and hint and hint not in hints:
                hints.append(hint)
        for step in self.run.steps:
            hint = (step.error or {}).get("hint")
            if hint and hint not in hints:
                hints.append(str(hint))
        actions = [_capital(_sentence(h)) for h in hints[:6]]
        return "Do not promote. Fix the following, then run the pipeline again:", actions or [
            "See Needs attention below."
        ]

    def files(self) -> list[dict[str, Any]]:
        """Evidence files with checksums (the reports themselves excluded)."""
        return list(self.evidence.files)


# ------------------------------------------------------------------ sentences


def _error_finding(step: StepResult) -> Finding:
    """A step that could not run, as an item to attend to (its whole message kept)."""
    error = step.error or {}
    return Finding(
        check=str(error.get("error") or "ERROR"),
        gate=step.step,
        severity=Severity.ERROR,
        object=f"step {step.step}",
        message=str(error.get("message", "")).strip() or "the step could not complete",
        hint=str(error.get("hint") or ""),
    )


def _error_sentence(title: str, error: dict[str, Any]) -> str:
    """``Step Migrate could not complete: <first line>. Fix: <hint>.``"""
    message = str(error.get("message", "")).strip()
    first = _first_line(message)
    if "\n" in message:
        first = first.rstrip(":") + " (listed under Needs attention)"
    hint = error.get("hint")
    text = f"Step {title} could not complete: {_sentence(first)}"
    return text + (f" Fix: {_sentence(str(hint))}" if hint else "")


def _listed(errors: list[Finding]) -> str:
    shown = ", ".join(f"{f.check} on {f.object}" for f in errors[:3])
    more = f" and {len(errors) - 3} more" if len(errors) > 3 else ""
    return f": {shown}{more}."


def _fix(errors: list[Finding]) -> str:
    hint = next((f.hint for f in errors if f.hint), "")
    return f" Fix: {_sentence(hint)}" if hint else ""


def _sentence(text: str) -> str:
    """``text`` as a sentence: first letter kept as written, one final full stop."""
    text = text.strip()
    if not text:
        return text
    return text if text[-1] in ".!?" else text + "."


def _not_rehearsed(reason: str) -> RollbackView:
    reason = reason.removeprefix("not run: ")
    return RollbackView("skip", False, (f"Not rehearsed: {reason}.",), (), None, None)


def _capital(text: str) -> str:
    """A standalone sentence starts with a capital (code such as ``pass --yes`` is left alone)."""
    return text[:1].upper() + text[1:] if text[:1].isalpha() and text[:1].islower() else text


def _proof_words(status: str) -> str:
    return {
        "proven": "proven identical to the one recorded there",
        "mismatch": "NOT the one recorded there",
        "unavailable": "not proven (nothing recorded to compare with)",
    }.get(status, f"not proven ({status})")


def _first_line(text: str) -> str:
    return (text.strip().splitlines() or [""])[0]
