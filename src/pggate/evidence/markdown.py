"""``report.md``: the report a reviewer reads and signs, as Markdown."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .view import APPROVERS, STEP_TITLES, GateView, ReportView


def render(view: ReportView) -> str:
    """The whole report."""
    parts = [
        f"# pggate report: {view.env} — {view.verdict}",
        _summary(view),
        _environment(view),
        _migrations(view),
        _gates(view),
        _performance(view),
        _rollback(view),
        _recommendation(view),
        _approval(view),
        _files(view),
    ]
    return "\n\n".join(p.rstrip() for p in parts if p) + "\n"


def summary(view: ReportView) -> str:
    """The title and executive summary alone (for ``GITHUB_STEP_SUMMARY``)."""
    return f"# pggate report: {view.env} — {view.verdict}\n\n{_summary(view)}\n"


def _summary(view: ReportView) -> str:
    counts = view.counts
    lines = [
        "## Executive summary",
        "",
        f"**Verdict: {view.verdict}**",
        "",
        *([f"**{view.incomplete}**", ""] if view.incomplete else []),
        *[f"- {reason}" for reason in view.reasons()],
        "",
        f"Findings: {counts['error']} error(s), {counts['warning']} warning(s), {counts['info']} info.",
        "",
        table(
            ["step", "status", "duration"],
            [
                [STEP_TITLES.get(s.step, s.step), _status(s.status), _ms(s.duration_ms)]
                for s in view.steps()
            ],
        ),
    ]
    return "\n".join(lines)


def _environment(view: ReportView) -> str:
    rows = [[key, str(value)] for key, value in view.environment_facts().items()]
    return "## Environment and versions\n\n" + table(["", ""], rows)


def _migrations(view: ReportView) -> str:
    lines = ["## Migrations applied", ""]
    applied = view.applied()
    if applied:
        lines.append(
            table(
                ["version", "name", "duration"],
                [[m["version"], m["name"], _ms(m.get("duration_ms", 0))] for m in applied],
            )
        )
    else:
        lines.append("None applied in this run.")
    error = view.migration_error()
    if error:
        where = f"`{error['file']}:{error['line']}`" if error.get("file") else "a migration"
        lines += [
            "",
            f"**Migration failed** at {where}; it was rolled back.",
            "",
            "```",
            error["message"],
            "```",
        ]
        if error.get("hint"):
            lines.append(f"Hint: {error['hint']}")
    return "\n".join(lines)


def _gates(view: ReportView) -> str:
    gates = view.gates()
    if not gates:
        return "## Gates\n\nNo gate ran."
    return "## Gates\n\n" + "\n\n".join(_gate(g) for g in gates)


def _gate(gate: GateView) -> str:
    result = gate.gate
    head = f"### {result.gate} — {_status(result.status)} ({_ms(result.duration_ms)})"
    lines = [head, ""]
    if result.skipped:
        lines.append(f"Skipped: {result.skipped}")
        return "\n".join(lines)
    lines.append(
        table(
            ["check", "what it proves", "status", "findings"],
            [
                [r["check"], r["title"], r["status"].upper(), str(r["findings"])]
                for r in gate.check_rows()
            ],
        )
    )
    headers, details = gate.detail_rows()
    if details:
        lines += ["", table(headers, details)]
    findings = gate.findings
    if findings:
        lines += [
            "",
            table(
                ["check", "severity", "object", "message", "hint"],
                [[f.check, str(f.severity), f"`{f.object}`", f.message, f.hint] for f in findings],
            ),
        ]
    else:
        lines += ["", "No findings."]
    return "\n".join(lines)


def _performance(view: ReportView) -> str:
    rows = view.perf_rows()
    if not rows:
        return "## Performance\n\nNo bench query was compared with a baseline."
    return "## Performance\n\n" + table(
        ["query", "before (median ms)", "after (median ms)", "change", "status"],
        [
            [
                f"`{r['file']}`",
                _num(r["before_ms"]),
                _num(r["after_ms"]),
                _change(r["change"]),
                r["status"].upper(),
            ]
            for r in rows
        ],
    )


def _rollback(view: ReportView) -> str:
    step = view.rollback()
    lines = ["## Rollback rehearsal", ""]
    if step is None or str(step.status) == "skip":
        reason = step.data.get("reason", "not run") if step is not None else "not run"
        lines.append(f"Not rehearsed: {reason}.")
        return "\n".join(lines)
    data = step.data
    if step.error:
        lines.append(f"**{_status(step.status)}**: {step.error.get('message', '')}")
        return "\n".join(lines)
    proof = data.get("proof", {})
    lines += [
        f"Result: **{_status(step.status)}**",
        "",
        f"- rolled back {len(data.get('reverted', []))} migration(s) to version {data.get('to')}: "
        f"schema {proof.get('status', '?')} against the fingerprint recorded there",
        f"- migrated forward again ({len(data.get('reapplied', []))} migration(s)): schema "
        + (
            "identical to the first apply"
            if data.get("identical")
            else "DIFFERENT from the first apply"
        ),
        f"- fingerprint: `{data.get('fingerprint_first', '')}`",
    ]
    for finding in step.findings:
        lines.append(f"- {finding.check}: {finding.message}")
    return "\n".join(lines)


def _recommendation(view: ReportView) -> str:
    lines = view.recommendation()
    # A NO-GO recommendation is a sentence followed by a list; a GO one is paragraphs.
    joiner = "\n" if view.verdict != "GO" else "\n\n"
    return "## Production recommendation\n\n" + lines[0] + "\n\n" + joiner.join(lines[1:])


def _approval(view: ReportView) -> str:
    rows = [[role, "", "", ""] for role in APPROVERS]
    return (
        "## Approval\n\n"
        f"Verdict at signing: **{view.verdict}** (run `{view.run.run_id}`).\n\n"
        + table(["role", "name", "date", "signature"], rows, blank=True)
    )


def _files(view: ReportView) -> str:
    rows = [[f"`{f['name']}`", f"`{f['sha256']}`", str(f["bytes"])] for f in view.files()]
    return "## Evidence files\n\n" + table(["file", "sha256", "bytes"], rows)


# ------------------------------------------------------------------ helpers


def table(headers: list[str], rows: Iterable[list[Any]], *, blank: bool = False) -> str:
    """A Markdown table; cells escaped for pipes and newlines."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    for row in rows:
        cells = [_cell(c) or (" " * 12 if blank else "") for c in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", "<br>")


def _status(status: Any) -> str:
    return str(status).upper()


def _ms(value: float) -> str:
    return f"{value / 1000:.2f} s" if value >= 1000 else f"{value:.0f} ms"


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _change(value: float | None) -> str:
    return "-" if value is None else f"{value:+.0%}"
