"""What changed since the previous run: findings new and fixed, migrations added, bench moves.

``compare(current, previous)`` reads two evidence packages and nothing else. The
result is stored in the current package as ``compare.json``, so ``pggate report
DIR`` rebuilds the same comparison without the previous package at hand.
A finding is identified by its check and object: the same check on the same
object in both runs is the same finding, whatever its wording.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..results import Finding, worst_first
from .reader import Evidence, write_json

FILE = "compare.json"


@dataclass(frozen=True)
class Comparison:
    """The difference between a run and the previous one of the same environment."""

    previous_run: str
    previous_folder: str
    previous_verdict: str
    new_findings: tuple[dict[str, Any], ...] = ()
    fixed_findings: tuple[dict[str, Any], ...] = ()
    migrations_added: tuple[dict[str, Any], ...] = ()
    migrations_removed: tuple[dict[str, Any], ...] = ()
    bench: tuple[dict[str, Any], ...] = field(default=())  # file, before_ms, after_ms, change

    def sections(self) -> list[tuple[str, list[str]]]:
        """Titled lists of sentences, for the reports."""
        return [
            ("New findings", [_finding_text(f) for f in self.new_findings]),
            ("Fixed findings", [_finding_text(f) for f in self.fixed_findings]),
            (
                "Migrations added",
                [f"{m['version']} {m.get('name', '')}".strip() for m in self.migrations_added],
            ),
            *(
                [
                    (
                        "Migrations removed",
                        [
                            f"{m['version']} {m.get('name', '')}".strip()
                            for m in self.migrations_removed
                        ],
                    )
                ]
                if self.migrations_removed
                else []
            ),
            ("Bench queries", [_bench_text(b) for b in self.bench]),
        ]

    def to_dict(self) -> dict[str, Any]:
        """JSON for ``compare.json``."""
        return {
            "previous": {
                "run_id": self.previous_run,
                "folder": self.previous_folder,
                "verdict": self.previous_verdict,
            },
            "new_findings": list(self.new_findings),
            "fixed_findings": list(self.fixed_findings),
            "migrations_added": list(self.migrations_added),
            "migrations_removed": list(self.migrations_removed),
            "bench": list(self.bench),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Comparison:
        """Rebuild from ``to_dict()`` output."""
        previous = data.get("previous", {})
        return cls(
            previous_run=str(previous.get("run_id", "?")),
            previous_folder=str(previous.get("folder", "")),
            previous_verdict=str(previous.get("verdict", "?")),
            new_findings=tuple(data.get("new_findings", [])),
            fixed_findings=tuple(data.get("fixed_findings", [])),
            migrations_added=tuple(data.get("migrations_added", [])),
            migrations_removed=tuple(data.get("migrations_removed", [])),
            bench=tuple(data.get("bench", [])),
        )


def compare(current: Evidence, previous: Evidence) -> Comparison:
    """How ``current`` differs from ``previous``."""
    now, before = _findings(current), _findings(previous)
    now_files, before_files = _migrations(current), _migrations(previous)
    return Comparison(
        previous_run=str(previous.manifest.get("run_id", "?")),
        previous_folder=previous.folder.name,
        previous_verdict=previous.run.verdict,
        new_findings=tuple(_entry(f) for key, f in now.items() if key not in before),
        fixed_findings=tuple(_entry(f) for key, f in before.items() if key not in now),
        migrations_added=tuple(m for v, m in now_files.items() if v not in before_files),
        migrations_removed=tuple(m for v, m in before_files.items() if v not in now_files),
        bench=tuple(_bench(current, previous)),
    )


def load(evidence: Evidence) -> Comparison | None:
    """The comparison stored in a package, if any."""
    path = evidence.folder / FILE
    if not path.is_file():
        return None
    return Comparison.from_dict(json.loads(path.read_text()))


def save(evidence: Evidence, comparison: Comparison) -> None:
    """Store ``comparison`` in the package (the reports render it from there)."""
    write_json(evidence.folder / FILE, comparison.to_dict())


def previous_package(evidence_dir: Path, env: str, current: Path) -> Path | None:
    """The newest finished package of ``env`` in ``evidence_dir`` other than ``current``."""
    if not evidence_dir.is_dir():
        return None
    candidates = []
    for folder in evidence_dir.iterdir():
        manifest = folder / "manifest.json"
        if folder.resolve() == current.resolve() or not manifest.is_file():
            continue
        try:
            data = json.loads(manifest.read_text())
        except (OSError, json.JSONDecodeError):
            continue
        if data.get("env") == env and data.get("complete", True):
            candidates.append((str(data.get("started_at") or ""), str(data.get("run_id")), folder))
    return max(candidates)[2] if candidates else None


# ------------------------------------------------------------------ helpers


def _findings(evidence: Evidence) -> dict[tuple[str, str], Finding]:
    found: dict[tuple[str, str], Finding] = {}
    for finding in worst_first(evidence.run.findings):
        found.setdefault((finding.check, finding.object), finding)
    return found


def _entry(finding: Finding) -> dict[str, Any]:
    return {
        "check": finding.check,
        "object": finding.object,
        "severity": str(finding.severity),
        "message": finding.message.strip().splitlines()[0] if finding.message.strip() else "",
    }


def _finding_text(entry: dict[str, Any]) -> str:
    return f"{entry['severity']} {entry['check']} on {entry['object']}: {entry['message']}"


def _migrations(evidence: Evidence) -> dict[str, dict[str, Any]]:
    return {
        str(m["version"]): {
            "version": m["version"],
            "name": m.get("name", ""),
            "file": m.get("file"),
        }
        for m in evidence.manifest.get("migrations", [])
        if "version" in m
    }


def _bench(current: Evidence, previous: Evidence) -> list[dict[str, Any]]:
    now, before = _medians(current), _medians(previous)
    rows = []
    for name in sorted(set(now) | set(before)):
        old, new = before.get(name), now.get(name)
        change = (new - old) / old if old and new is not None else None
        rows.append({"file": name, "before_ms": old, "after_ms": new, "change": change})
    return rows


def _medians(evidence: Evidence) -> dict[str, float | None]:
    """Each bench query's median after migrating, as that run's perf gate measured it."""
    for step in evidence.steps:
        for gate in step.gates:
            if gate.gate == "perf":
                return {
                    str(q["file"]): (q.get("after") or {}).get("median_ms")
                    for q in gate.summary.get("queries", [])
                }
    return {}


def _bench_text(row: dict[str, Any]) -> str:
    before, after = row.get("before_ms"), row.get("after_ms")
    if before is None:
        return (
            f"{row['file']}: new ({after:.2f} ms)" if after is not None else f"{row['file']}: new"
        )
    if after is None:
        return f"{row['file']}: no longer measured (was {before:.2f} ms)"
    change = row.get("change")
    moved = f"{change:+.0%}" if change is not None else "±0%"
    return f"{row['file']}: {before:.2f} ms → {after:.2f} ms ({moved})"
