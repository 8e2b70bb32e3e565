"""One result model for everything: findings, gates, steps, runs.

Every command returns an object with ``to_dict()`` (what ``--format json``
prints) and ``exit_code()`` (what the process exits with). Renderers read these
and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    """How bad a finding is. Only ``error`` fails a gate."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is worse, for sorting the worst first."""
        return {"error": 2, "warning": 1, "info": 0}[self.value]


class Status(StrEnum):
    """Outcome of a gate or step."""

    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"
    ERROR = "error"  # the step could not run (database unreachable, bad input)

    @property
    def rank(self) -> int:
        """Higher is worse."""
        return {"pass": 0, "skip": 0, "warn": 1, "fail": 2, "error": 3}[self.value]


@dataclass(frozen=True)
class Finding:
    """One thing a check found: the contract every check and reporter shares.

    ``object`` is ``schema.table``, ``schema.table.column``, ``schema.view``,
    ``schema.function(args)`` or a migration file path. ``file``/``line`` point
    into a migration file when the finding is about one (for annotations).
    ``details`` holds evidence such as sample keys or the probe that leaked.
    """

    check: str
    gate: str
    severity: Severity
    object: str
    message: str
    hint: str = ""
    file: str | None = None
    line: int | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON shape from DESIGN.md, optional keys only when set."""
        data: dict[str, Any] = {
            "check": self.check,
            "gate": self.gate,
            "severity": str(self.severity),
            "object": self.object,
            "message": self.message,
            "hint": self.hint,
        }
        if self.file is not None:
            data["file"] = self.file
        if self.line is not None:
            data["line"] = self.line
        if self.details:
            data["details"] = self.details
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        """Rebuild a finding from ``to_dict()`` output (reports from evidence)."""
        return cls(
            check=data["check"],
            gate=data["gate"],
            severity=Severity(data["severity"]),
            object=data["object"],
            message=data["message"],
            hint=data.get("hint", ""),
            file=data.get("file"),
            line=data.get("line"),
            details=data.get("details", {}),
        )


def status_of(findings: Iterable[Finding]) -> Status:
    """``fail`` with an error finding, ``warn`` with only warnings, else ``pass``."""
    worst = max((f.severity.rank for f in findings), default=-1)
    if worst >= Severity.ERROR.rank:
        return Status.FAIL
    if worst == Severity.WARNING.rank:
        return Status.WARN
    return Status.PASS


def worst_first(findings: Iterable[Finding]) -> list[Finding]:
    """Findings sorted by severity (worst first), then check id and object."""
    return sorted(findings, key=lambda f: (-f.severity.rank, f.check, f.object))


def count_by_severity(findings: Iterable[Finding]) -> dict[str, int]:
    """``{"error": n, "warning": n, "info": n}``."""
    counts = {str(s): 0 for s in Severity}
    for finding in findings:
        counts[str(finding.severity)] += 1
    return counts


@dataclass(frozen=True)
class GateResult:
    """The findings of one gate, and what it looked at (``summary``)."""

    gate: str
    findings: tuple[Finding, ...] = ()
    duration_ms: float = 0.0
    summary: dict[str, Any] = field(default_factory=dict)
    checks: tuple[str, ...] = ()  # ids of the checks that ran, passing ones included
    skipped: str | None = None  # why the gate did not run, when it did not

    @property
    def status(self) -> Status:
        """Derived from the findings (or ``skip``)."""
        if self.skipped is not None:
            return Status.SKIP
        return status_of(self.findings)

    def to_dict(self) -> dict[str, Any]:
        """JSON shape: ``{"gate", "status", "findings", "duration_ms", ...}``."""
        data: dict[str, Any] = {
            "gate": self.gate,
            "status": str(self.status),
            "findings": [f.to_dict() for f in worst_first(self.findings)],
            "duration_ms": round(self.duration_ms, 1),
            "checks": list(self.checks),
        }
        if self.summary:
            data["summary"] = self.summary
        if self.skipped is not None:
            data["skipped"] = self.skipped
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GateResult:
        """Rebuild from ``to_dict()`` output."""
        return cls(
            gate=data["gate"],
            findings=tuple(Finding.from_dict(f) for f in data.get("findings", [])),
            duration_ms=data.get("duration_ms", 0.0),
            summary=data.get("summary", {}),
            checks=tuple(data.get("checks", [])),
            skipped=data.get("skipped"),
        )


@dataclass(frozen=True)
class VerifyResult:
    """What ``pggate verify`` returns: one ``GateResult`` per gate run."""

    gates: tuple[GateResult, ...]
    warnings: tuple[str, ...] = ()  # what the verdict does not cover (pending migrations)

    @property
    def status(self) -> Status:
        """The worst gate status."""
        return max((g.status for g in self.gates), key=lambda s: s.rank, default=Status.PASS)

    @property
    def findings(self) -> list[Finding]:
        """Every finding of every gate."""
        return [f for g in self.gates for f in g.findings]

    def exit_code(self) -> int:
        """1 when any gate failed, else 0."""
        return 1 if self.status.rank >= Status.FAIL.rank else 0

    def to_dict(self) -> dict[str, Any]:
        """``{"status", "gates": [...]}`` (and ``warnings`` when there are any)."""
        data: dict[str, Any] = {
            "status": str(self.status),
            "gates": [g.to_dict() for g in self.gates],
        }
        if self.warnings:
            data["warnings"] = list(self.warnings)
        return data


@dataclass(frozen=True)
class StepResult:
    """One step of the staged pipeline (or of a command that is a single step).

    ``data`` holds the step's own payload (the migrations applied, the perf
    table, the rollback proof). ``error`` is an error's ``to_dict()`` when the
    step could not complete.
    """

    step: str
    status: Status
    duration_ms: float = 0.0
    findings: tuple[Finding, ...] = ()
    gates: tuple[GateResult, ...] = ()
    data: dict[str, Any] = field(default_factory=dict)
    error: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON for ``steps/NN_<step>.json``."""
        data: dict[str, Any] = {
            "step": self.step,
            "status": str(self.status),
            "duration_ms": round(self.duration_ms, 1),
            "findings": [f.to_dict() for f in worst_first(self.findings)],
        }
        if self.gates:
            data["gates"] = [g.to_dict() for g in self.gates]
        if self.data:
            data["data"] = self.data
        if self.error is not None:
            data["error"] = self.error
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StepResult:
        """Rebuild from ``to_dict()`` output."""
        return cls(
            step=data["step"],
            status=Status(data["status"]),
            duration_ms=data.get("duration_ms", 0.0),
            findings=tuple(Finding.from_dict(f) for f in data.get("findings", [])),
            gates=tuple(GateResult.from_dict(g) for g in data.get("gates", [])),
            data=data.get("data", {}),
            error=data.get("error"),
        )

    @property
    def all_findings(self) -> list[Finding]:
        """The step's own findings and those of its gates."""
        return [*self.findings, *(f for g in self.gates for f in g.findings)]


def verdict_of(steps: Iterable[StepResult]) -> str:
    """The GO/NO-GO rule, the only copy: GO when no step failed or errored."""
    return "GO" if all(s.status.rank < Status.FAIL.rank for s in steps) else "NO-GO"


@dataclass(frozen=True)
class RunResult:
    """A whole staged run: its steps in order and the verdict."""

    run_id: str
    env: str
    steps: tuple[StepResult, ...]
    evidence_dir: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def findings(self) -> list[Finding]:
        """Every finding of every step."""
        return [f for s in self.steps for f in s.all_findings]

    @property
    def go(self) -> bool:
        """GO when no step failed or errored."""
        return verdict_of(self.steps) == "GO"

    @property
    def verdict(self) -> str:
        """``GO`` or ``NO-GO``."""
        return verdict_of(self.steps)

    def counts(self) -> dict[str, int]:
        """Findings by severity; a step that errored without an error finding counts as one."""
        counts = count_by_severity(self.findings)
        counts["error"] += sum(
            1
            for s in self.steps
            if s.status == Status.ERROR
            and not any(f.severity == Severity.ERROR for f in s.all_findings)
        )
        return counts

    def exit_code(self) -> int:
        """0 GO; else the first step that did not pass decides.

        A failed step (a gate, a NO-GO) is 1 whatever happened after it; a step that
        could not run first is 2 (bad input, refused confirmation) or 3 (database).
        Migration files that fail validation are bad input: 2, as from ``pggate validate``.
        """
        if self.go:
            return 0
        first = next(s for s in self.steps if s.status.rank >= Status.FAIL.rank)
        if first.status == Status.ERROR and first.error:
            code = int(first.error.get("exit_code", 1))
            if code in (2, 3):
                return code
        if first.step == "validate" and first.status == Status.FAIL:
            return 2
        return 1

    def to_dict(self) -> dict[str, Any]:
        """The whole run as JSON."""
        return {
            "run_id": self.run_id,
            "env": self.env,
            "verdict": self.verdict,
            "counts": self.counts(),
            "steps": [s.to_dict() for s in self.steps],
            "evidence_dir": self.evidence_dir,
            **self.data,
        }


@dataclass(frozen=True)
class SchemaResult:
    """What ``pggate schema`` returns: an environment's canonical snapshot and fingerprint."""

    env: str
    fingerprint: str
    snapshot: dict[str, Any]
    server_version_num: int | None = None

    def exit_code(self) -> int:
        """Always 0: reading the schema either works or raises."""
        return 0

    def to_dict(self) -> dict[str, Any]:
        """``{"env", "server_version_num", "fingerprint", "snapshot"}`` (what ``diff`` reads)."""
        return {
            "env": self.env,
            "server_version_num": self.server_version_num,
            "fingerprint": self.fingerprint,
            "snapshot": self.snapshot,
        }


@dataclass(frozen=True)
class DiffResult:
    """What ``pggate diff`` returns: the two sides' names and the structural difference."""

    a: str
    b: str
    diff: tuple[str, ...]
    major_versions: tuple[int | None, ...] = ()
    version_artefacts: tuple[str, ...] = ()  # differences only the major versions explain
    note: str | None = None

    @property
    def identical(self) -> bool:
        """Whether the two schemas are the same (version artefacts apart)."""
        return not self.diff

    def exit_code(self) -> int:
        """0 identical, 1 different."""
        return 0 if self.identical else 1

    def to_dict(self) -> dict[str, Any]:
        """``{"a", "b", "identical", "major_versions", "diff", "version_artefacts", "note"}``."""
        return {
            "a": self.a,
            "b": self.b,
            "identical": self.identical,
            "major_versions": list(self.major_versions),
            "diff": list(self.diff),
            "version_artefacts": list(self.version_artefacts),
            "note": self.note,
        }


@dataclass(frozen=True)
class CreatedResult:
    """What ``pggate new`` and ``pggate init`` return: the files they created."""

    created: tuple[str, ...]
    next_step: str = ""

    def exit_code(self) -> int:
        """Always 0: creating either works or raises."""
        return 0

    def to_dict(self) -> dict[str, Any]:
        """``{"created": [...]}``."""
        return {"created": list(self.created)}
