"""``report.md``: the report a reviewer reads and signs, as Markdown.

Text from the project or the database (migration names, objects, keys, messages) goes
through ``_text``, ``_code``, ``_one_line`` or ``table``: HTML in it is escaped (a
migration named ``<img src=x onerror=...>`` is shown, never rendered) and a line break
never ends a report line.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .view import APPROVERS, Attention, GateView, ReportView


def render(view: ReportView) -> str:
    """The whole report: the verdict and what needs attention first, then what was proven."""
    parts = [
        f"# pggate report: {view.env} — {view.verdict}",
        _summary(view),
        _attention(view),
        _comparison(view),
        _timeline(view),
        _migrations(view),
        _isolation(view),
        _rollback(view),
        _performance(view),
        _gates(view),
        _environment(view),
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
        *[f"- {_text(reason)}" for reason in view.reasons()],
        "",
        f"Findings: {counts['error']} error(s), {counts['warning']} warning(s), {counts['info']} info.",
    ]
    return "\n".join(lines)


def _attention(view: ReportView) -> str:
    items = view.attention()
    body = (
        "\n".join(_item(item) for item in items)
        if items
        else "Nothing: no error and no warning in any step."
    )
    return "## Needs attention\n\n" + body + _notes(view)


def _item(item: Attention) -> str:
    f = item.finding
    where = f" at {_code(f'{f.file}:{f.line}')}" if f.file and f.line else ""
    lines = [
        f"- **{str(f.severity).upper()} {f.check}** ({item.where}) {_code(f.object)}{where}: "
        + _one_line(f.message)
    ]
    if f.hint:
        lines.append(f"  - Fix: {_one_line(f.hint)}")
    if item.key:
        lines.append(f"  - Leaked key: {_code(item.key)}")
    if item.statement:
        lines += ["", _fenced(item.statement, "sql", indent="  ")]
    if "\n" in f.message:
        lines += ["", _fenced(f.message, "", indent="  ")]
    if item.error:
        lines += ["", _fenced(item.error, "", indent="  ")]
    if item.diff:
        lines += ["", "  Objects that differ:", "", _fenced("\n".join(item.diff), "diff", "  ")]
    return "\n".join(lines)


def _comparison(view: ReportView) -> str:
    comparison = view.comparison
    if comparison is None:
        return ""
    lines = [
        "## Changes since the previous run",
        "",
        f"Compared with run `{comparison.previous_run}` ({comparison.previous_verdict}"
        f" → {view.verdict}).",
        "",
    ]
    for title, items in comparison.sections():
        lines.append(f"**{title}** ({len(items)})")
        lines.append("")
        lines += [f"- {_text(text)}" for text in items] or ["- none"]
        lines.append("")
    return "\n".join(lines)


def _timeline(view: ReportView) -> str:
    rows = [
        [r["title"], _status(r["status"]), _ms(r["duration_ms"]), r["note"]]
        for r in view.timeline()
    ]
    return "## Steps\n\n" + table(["step", "status", "duration", "note"], rows)


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
        where = _code(f"{error['file']}:{error['line']}") if error.get("file") else "a migration"
        lines += [
            "",
            f"**Migration failed** at {where}; it was rolled back.",
            "",
            _fenced(error["message"], ""),
        ]
        if error.get("statement"):
            lines += ["", _fenced(str(error["statement"]), "sql")]
        if error.get("hint"):
            lines += ["", f"Fix: {_text(error['hint'])}"]
    return "\n".join(lines)


def _isolation(view: ReportView) -> str:
    found = view.isolation()
    if found is None:
        return ""
    gate, matrix = found
    lines = ["## Isolation proof", ""]
    if gate.gate.skipped:
        return "\n".join([*lines, f"Not run: {_text(gate.gate.skipped)}."])
    if matrix is None:
        return "\n".join([*lines, "No table was probed: nothing is proven."])
    lines += [
        f"**{matrix.coverage[0].upper()}{matrix.coverage[1:]}**, acting as {_code(matrix.actor)}"
        + (
            f" between tenants {', '.join(_code(t) for t in matrix.tenants_text)}"
            if matrix.tenants
            else ""
        )
        + ".",
        "",
    ]
    if matrix.unprobed:
        lines += [f"Not probed: {', '.join(_code(t) for t in matrix.unprobed)}.", ""]
    for table_name, check, key in matrix.leaks:
        lines.append(
            f"- {check} leak on {_code(table_name)}: one leaked row's key is {_code(key)}."
        )
    if matrix.leaks:
        lines.append("")
    lines += [*(_text(note) for note in matrix.notes), *([""] if matrix.notes else [])]
    with_rows = any(r.rows for r in matrix.rows)
    rows = [
        [_code(r.table), r.label, *[c.text for c in r.cells], *([r.rows] if with_rows else [])]
        for r in matrix.rows
    ]
    headers = ["table (as a member of another tenant)", "result", *matrix.probes]
    lines.append(table(headers + (["rows probed"] if with_rows else []), rows))
    details = [
        f"- {_code(r.table)} {c.probe}: {_text(c.detail)}"
        for r in matrix.rows
        for c in r.cells
        if c.outcome not in ("pass", "n-a") and c.detail
    ]
    if details:
        lines += ["", *details]
    return "\n".join(lines)


def _gates(view: ReportView) -> str:
    gates = view.gates()
    if not gates:
        return "## What was proven\n\nNo gate ran."
    return "## What was proven\n\n" + "\n\n".join(_gate(g) for g in gates)


def _gate(gate: GateView) -> str:
    result = gate.gate
    head = f"### {result.gate} — {_status(result.status)} ({_ms(result.duration_ms)})"
    lines = [head, ""]
    if result.skipped:
        lines.append(f"Skipped: {_text(result.skipped)}")
        return "\n".join(lines)
    lines.append(
        table(
            ["check", "verified", "status", "findings"],
            [
                [
                    r["check"],
                    r["verified"] + (f" ({r['note']})" if r["note"] else ""),
                    r["label"],
                    str(r["findings"]),
                ]
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
                ["check", "severity", "object", "message", "fix"],
                [[f.check, str(f.severity), _code(f.object), f.message, f.hint] for f in findings],
            ),
        ]
    return "\n".join(lines)


def _notes(view: ReportView) -> str:
    notes = view.notes()
    if not notes:
        return ""
    return "\n\nNotes:\n\n" + "\n".join(
        f"- {n.finding.check} ({n.where}) {_code(n.finding.object)}: {_one_line(n.finding.message)}"
        for n in notes
    )


def _performance(view: ReportView) -> str:
    rows = view.perf_rows()
    if not rows:
        return "## Performance\n\nNo bench query was compared with a baseline."
    return "## Performance\n\n" + table(
        ["query", "before (median ms)", "after (median ms)", "change", "status"],
        [
            [
                _code(r["file"]),
                _num(r["before_ms"]),
                _num(r["after_ms"]),
                _change(r["change"]),
                r["status"].upper(),
            ]
            for r in rows
        ],
    )


def _rollback(view: ReportView) -> str:
    rollback = view.rollback()
    lines = ["## Rollback rehearsal", ""]
    if rollback.ran:
        lines += [f"Result: **{_status(rollback.status)}**", ""]
    lines += [f"- {_text(s)}" for s in rollback.sentences]
    if rollback.diff:
        lines += [
            "",
            "Objects that differ from the schema recorded at the target version "
            "(`+` left behind, `-` missing, `~` changed):",
            "",
            _fenced("\n".join(rollback.diff), "diff"),
        ]
    if rollback.error:
        lines += ["", _fenced(rollback.error, "")]
    if rollback.hint:
        lines += ["", f"Fix: {_text(rollback.hint)}"]
    return "\n".join(lines)


def _recommendation(view: ReportView) -> str:
    lead, actions = view.recommendation()
    return "## Production recommendation\n\n" + lead + "\n\n" + "\n".join(f"- {a}" for a in actions)


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


def _fenced(text: str, language: str, indent: str = "") -> str:
    """A fenced block that a backtick run inside ``text`` cannot close."""
    fence = "```"
    while fence in text:
        fence += "`"
    body = [fence + language, *text.rstrip().splitlines(), fence]
    return "\n".join(indent + line if line else line for line in body)


def _one_line(text: str) -> str:
    lines = text.strip().splitlines()
    first = _text(lines[0].rstrip(":")) if lines else ""
    return first + (" (below)" if len(lines) > 1 else "")


def _text(value: Any) -> str:
    """``value`` as Markdown prose on one line, its HTML escaped."""
    return " ".join(_no_html(str(value)).split())


def _no_html(text: str) -> str:
    # Without '<' there is no tag and without a raw '&' no entity: '>' (as in a -> b) stays.
    return text.replace("&", "&amp;").replace("<", "&lt;")


def _code(value: Any) -> str:
    """``value`` as an inline code span on one line that no backtick inside can close."""
    text = " ".join(str(value).split())
    fence = "`"
    while fence in text:
        fence += "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


# ------------------------------------------------------------------ helpers


def table(headers: list[str], rows: Iterable[list[Any]], *, blank: bool = False) -> str:
    """A Markdown table; cells escaped for pipes and newlines."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    for row in rows:
        cells = [_cell(c) or (" " * 12 if blank else "") for c in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _cell(value: Any) -> str:
    # A code span (from _code) keeps its text literal; anything else has its HTML escaped.
    text = str(value)
    if not (text.startswith("`") and text.endswith("`")):
        text = _no_html(text)
    return "<br>".join(text.replace("|", "\\|").splitlines())


def _status(status: Any) -> str:
    return str(status).upper()


def _ms(value: float) -> str:
    return f"{value / 1000:.2f} s" if value >= 1000 else f"{value:.0f} ms"


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _change(value: float | None) -> str:
    return "-" if value is None else f"{value:+.0%}"
