"""The check catalogue as Markdown, generated from the checks' docstrings.

    python -m pggate.checks.catalog > docs/checks.md

A test keeps docs/checks.md equal to this output.
"""

from __future__ import annotations

from . import load_all, splinter
from .base import GATES, checks_of


def markdown() -> str:
    """docs/checks.md: an id table, then each check's docstring under its gate."""
    load_all()
    lines = [
        "# Checks",
        "",
        "Generated from the checks' docstrings by `python -m pggate.checks.catalog`;",
        "do not edit by hand. Ids are stable: never renumbered.",
        "",
        "| id | gate | severity | catches |",
        "|---|---|---|---|",
    ]
    for gate in GATES:
        for check in checks_of(gate):
            summary = check.doc().splitlines()[0] if check.doc() else ""
            lines.append(f"| {check.id} | {gate} | {check.severity} | {summary} |")
    for gate in GATES:
        checks = checks_of(gate)
        if not checks:
            continue
        lines += ["", f"## Gate `{gate}`"]
        for check in checks:
            lines += ["", f"### {check.id} ({check.severity})", "", check.doc()]
            if check.verified:  # what reports and JUnit name the check by when it passes
                lines += ["", f"**Verified when it finds nothing**: {check.verified}."]
    lines += ["", *splinter.markdown()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
