"""Text rendering shared by commands: status badges, findings tables, key/value tables."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..results import Finding, Status, worst_first

STATUS_STYLE = {
    "pass": "bold green",
    "warn": "bold yellow",
    "fail": "bold red",
    "error": "bold red",
    "skip": "dim",
    "GO": "bold white on green",
    "NO-GO": "bold white on red",
}
SEVERITY_STYLE = {"error": "red", "warning": "yellow", "info": "cyan"}


def badge(status: Status | str) -> str:
    """``status`` as rich markup, upper-cased and coloured."""
    text = str(status)
    return f"[{STATUS_STYLE.get(text, 'bold')}]{text.upper()}[/]"


def findings_table(findings: Iterable[Finding], title: str | None = None) -> Any:
    """A rich table of findings, worst first, with the hint for each."""
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=title, show_lines=False, expand=False, title_justify="left")
    table.add_column("check", no_wrap=True)
    table.add_column("severity", no_wrap=True)
    table.add_column("object", overflow="fold")
    table.add_column("message / hint", overflow="fold")
    for finding in worst_first(findings):
        style = SEVERITY_STYLE.get(str(finding.severity), "")
        text = escape(finding.message)
        if finding.hint:
            text += f"\n[dim]hint: {escape(finding.hint)}[/dim]"
        table.add_row(
            finding.check, f"[{style}]{finding.severity}[/]", escape(finding.object), text
        )
    return table


def facts_table(facts: dict[str, Any], title: str | None = None) -> Any:
    """A two-column table of facts."""
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=title, show_header=False, title_justify="left", box=None, padding=(0, 2))
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    for key, value in facts.items():
        shown = (
            "yes" if value is True else "no" if value is False else "-" if value is None else value
        )
        table.add_row(key.replace("_", " "), escape(str(shown)))
    return table
