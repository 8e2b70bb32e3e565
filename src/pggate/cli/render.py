"""Every command's result as text: one renderer per result type, and the pieces they share.

``text(out, result)`` picks the renderer by the result's type name, so this module imports
no result class (commands stay fast to start). Everything taken from a project or a
database (names, messages, SQL) is escaped before it reaches rich markup. ``StepView``
draws the live steps of ``stage`` and ``demo`` on stderr.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..events import Event
from ..results import Finding, Status, worst_first

if TYPE_CHECKING:
    from .output import Output

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
STEP_MARK = {"pass": "✓", "warn": "!", "fail": "✗", "error": "✗", "skip": "-"}
LATEST_APPLIED_SHOWN = 10


def text(out: Output, result: Any, **options: Any) -> None:
    """Print ``result`` as text with the renderer registered for its type."""
    RENDERERS[type(result).__name__](out, result, **options)


# ------------------------------------------------------------------- shared pieces


def escape(value: object) -> str:
    """``value`` as text that rich prints literally (no markup from names or messages)."""
    from rich.markup import escape as rich_escape

    return rich_escape(str(value))


def badge(status: Status | str) -> str:
    """``status`` as rich markup, upper-cased and coloured."""
    text = str(status)
    return f"[{STATUS_STYLE.get(text, 'bold')}]{text.upper()}[/]"


def findings_table(
    findings: Iterable[Finding],
    title: str | None = None,
    *,
    group_over: int | None = None,
    listed_in: str = "--format json",
) -> Any:
    """A rich table of findings, worst first, with the hint for each.

    ``group_over``: when one check has more findings than that, they take one row: how
    many, the first objects, one message as an example and the hint. A thousand rows
    saying the same thing hide the one that differs, and laying them out took longer
    than the checks; ``listed_in`` says where every one of them is.
    """
    from itertools import groupby

    from rich.table import Table

    table = Table(title=title, show_lines=False, expand=False, title_justify="left")
    table.add_column("check", no_wrap=True)
    table.add_column("severity", no_wrap=True)
    table.add_column("object", overflow="fold")
    table.add_column("message / hint", overflow="fold")
    ordered = worst_first(findings)
    for _key, same in groupby(ordered, key=lambda f: (f.severity.rank, f.check)):
        group = list(same)
        if group_over is not None and len(group) > group_over:
            table.add_row(*_grouped_row(group, listed_in))
            continue
        for finding in group:
            table.add_row(*_finding_row(finding))
    return table


def _finding_row(finding: Finding) -> tuple[str, str, str, str]:
    message = escape(finding.message)
    if finding.hint:
        message += f"\n[dim]hint: {escape(finding.hint)}[/dim]"
    return finding.check, _severity(finding), escape(finding.object), message


def _severity(finding: Finding) -> str:
    return f"[{SEVERITY_STYLE.get(str(finding.severity), '')}]{finding.severity}[/]"


GROUP_OVER = 20  # verify and stage: more findings of one check than this share one row
GROUP_SHOWN = 5  # objects named in a grouped row


def _grouped_row(group: list[Finding], listed_in: str) -> tuple[str, str, str, str]:
    first = group[0]
    shown = ", ".join(f.object for f in group[:GROUP_SHOWN])
    objects = f"{len(group)} objects: {shown}, ... (+{len(group) - GROUP_SHOWN})"
    message = f"e.g. {escape(first.message)}"
    hints = {f.hint for f in group}
    if len(hints) == 1 and first.hint:
        message += f"\n[dim]hint: {escape(first.hint)}[/dim]"
    elif first.hint:
        message += f"\n[dim]hints differ per object: see {escape(listed_in)}[/dim]"
    message += f"\n[dim]every one is listed in {escape(listed_in)}[/dim]"
    return first.check, _severity(first), escape(objects), message


def facts_table(facts: dict[str, Any], title: str | None = None) -> Any:
    """A two-column table of facts."""
    from rich.table import Table

    table = Table(title=title, show_header=False, title_justify="left", box=None, padding=(0, 2))
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    for key, value in facts.items():
        shown = (
            "yes" if value is True else "no" if value is False else "-" if value is None else value
        )
        table.add_row(key.replace("_", " "), escape(shown))
    return table


def _migration(row: dict[str, Any]) -> str:
    return escape(f"{row['version']}_{row['name']}")


# ---------------------------------------------------------------- one per command


def _env_report(out: Output, report: Any) -> None:
    console = out.console
    console.print(f"environment [bold]{escape(report.env)}[/bold]: {badge(report.status)}")
    facts = {"target": report.target, "url from": report.source, **report.facts}
    console.print(facts_table(facts))
    if report.extensions:
        names = ", ".join(f"{e['name']} {e['version']}" for e in report.extensions)
        console.print(f"[bold]extensions[/bold]  {escape(names)}")
    if report.facts.get("identity"):
        pin = escape(report.facts["identity"])
        console.print(f'[dim]pin this environment with: pin = "{pin}"[/dim]')
    if report.findings:
        console.print(findings_table(report.findings))


def _validate(out: Output, result: Any) -> None:
    out.console.print(f"{len(result.migrations)} migration file(s): {badge(result.status)}")
    if result.findings:
        out.console.print(findings_table(result.findings))


def _status(out: Output, result: Any, show_all: bool = False) -> None:
    from rich.table import Table

    applied = result.applied if show_all else result.applied[-LATEST_APPLIED_SHOWN:]
    hidden = len(result.applied) - len(applied)
    out.console.print(
        f"[bold]{escape(result.env)}[/bold]: {len(result.applied)} applied, "
        f"{len(result.pending)} pending"
        + (f" [dim]({hidden} earlier applied not listed: --all lists them)[/dim]" if hidden else "")
    )
    table = Table(title=escape(result.target), title_justify="left")
    for column in ("version", "name", "state", "applied at", "by", "ms"):
        table.add_column(column)
    for row in applied:
        table.add_row(
            escape(row.version),
            escape(row.name),
            "[green]applied[/]",
            row.finished_at.strftime("%Y-%m-%d %H:%M:%S"),
            escape(row.applied_by),
            f"{row.duration_ms or 0:.0f}",
        )
    for migration in result.pending:
        table.add_row(
            escape(migration.version), escape(migration.name), "[yellow]pending[/]", "", "", ""
        )
    out.console.print(table)
    if result.findings:
        out.console.print(findings_table(result.findings))


def _migrate(out: Output, result: Any) -> None:
    # Plain pieces, not markup: piped (every CI job), this prints without rich.
    verb = "would apply" if result.dry_run else "applied"
    for row in result.applied:
        name = f"{row['version']}_{row['name']}"
        out.line(f"  {verb} {name}  ", (f"{row['duration_ms']:.0f} ms", "dim"))
    for note in result.notes:
        out.line("  ", ("note:", "yellow"), f" {note}")
    count = len(result.applied)
    suffix = (
        " (dry run: the SQL ran and held its locks, then was rolled back)" if result.dry_run else ""
    )
    summary = (
        f"{verb} {count} migration(s) in {result.duration_ms:.0f} ms{suffix}"
        if count
        else "nothing to apply"
    )
    out.line((summary, "bold"))


def _plan(out: Output, result: Any) -> None:
    if not result.files:
        out.console.print("[bold]nothing to apply[/bold] (plan only: nothing was sent)")
        return
    for entry in result.files:
        mode = "one transaction" if entry["transactional"] else "no transaction"
        out.console.print(f"[bold]-- {escape(entry['file'])}[/bold] [dim]({mode})[/dim]")
        for statement in entry["statements"]:
            out.console.print(f"[dim]-- line {statement['line']}[/dim]")
            out.console.print(escape(statement["sql"]) + ";", highlight=False)
    count = sum(len(e["statements"]) for e in result.files)
    out.console.print(
        f"[bold]plan: {len(result.files)} migration(s), {count} statement(s); "
        "nothing was sent to the server but the history read[/bold]"
    )


def _adopt(out: Output, result: Any) -> None:
    for row in result.adopted:
        out.console.print(f"  adopted {_migration(row)}")
    if result.already:
        out.console.print(f"  already in pggate's history: {len(result.already)} version(s)")
    for note in result.notes:
        out.console.print(f"  {escape(note)}")
    if result.fingerprint:
        out.console.print(
            f"adopted {len(result.adopted)} version(s); schema fingerprint {result.fingerprint}"
        )


def _created(out: Output, result: Any) -> None:
    for path in result.created:
        out.console.print(f"  created [bold]{escape(path)}[/bold]")
    if result.next_step:
        out.console.print(escape(result.next_step))


def _maintenance(out: Output, result: Any) -> None:
    verbs = {"repair": "marked", "checksum": "re-synced", "baseline": "baselined"}
    for row in result.changed:
        what = row.get("status", "checksum")
        out.console.print(f"  {verbs[result.action]} {_migration(row)} ({escape(what)})")
    if result.unchanged:
        out.console.print(f"  already so: {escape(', '.join(result.unchanged))}")
    if result.fingerprint:
        out.console.print(f"  schema fingerprint {result.fingerprint}")
    out.console.print(
        f"[bold]{len(result.changed)} history change(s), recorded as events; no SQL ran[/bold]"
    )


def _derived_down(out: Output, result: Any, written: bool = False) -> None:
    for item in result.irreversible:
        out.err.print(f"[yellow]not reversed:[/yellow] {escape(item)}")
    for item in result.data_loss:
        out.err.print(f"[yellow]data loss:[/yellow] {escape(item)}")
    if written:
        out.err.print(f"wrote the derived down into the file of {escape(result.version)}")
    else:
        import sys

        sys.stdout.write(result.sql)  # SQL to paste or pipe: no markup, no wrapping


def _rollback(out: Output, result: Any) -> None:
    verb = "would revert" if result.dry_run else "reverted"
    for row in result.reverted:
        out.console.print(f"  {verb} {_migration(row)}")
    for row in result.undone:
        out.console.print(f"  reverted, then undone: {_migration(row)}")
    if result.backup:
        out.console.print(f"  backup: {escape(result.backup)} ({escape(result.backup_checked)})")
        out.console.print(f"  restore with: {result.restore}", markup=False)
    proof = result.proof
    status = proof["status"]
    if status == "proven":
        how = (
            "a replay on a shadow database"
            if proof.get("method") == "shadow"
            else "the fingerprint recorded there"
        )
        out.console.print(
            f"[bold green]proven:[/] schema at version {escape(result.to)} matches {how} "
            f"({escape(proof['expected'])})"
        )
    elif status == "mismatch":
        out.console.print(f"[bold red]NOT PROVEN:[/] {escape(proof['message'])}")
        for line in proof.get("diff", []):
            out.console.print(f"  {line}", markup=False)
        if result.undone:
            out.console.print(
                "[bold]the downs and the proof ran in one transaction, now rolled back: "
                "the database is as it was before this rollback[/bold]"
            )
        left = proof.get("left")
        if left:
            out.console.print(f"[bold]left behind:[/bold] {escape(left['message'])}")
            for statement in left["cleanup_sql"]:
                out.console.print(f"  {statement}", markup=False)
    else:
        out.console.print(f"[bold yellow]unproven:[/] {escape(proof['message'])}")
    if result.dry_run and result.reverted:
        out.console.print(
            "dry run: the downs and the proof ran in one transaction, rolled back; nothing changed"
        )
    for warning in result.warnings:
        out.console.print(f"[yellow]warning:[/] {escape(warning)}")
    if result.health:
        statuses = ", ".join(f"{g.gate} {badge(g.status)}" for g in result.health)
        out.console.print(f"health after rollback: {statuses}")
        findings = [f for g in result.health for f in g.findings]
        if findings:
            out.console.print(findings_table(findings))


def _schema(out: Output, result: Any) -> None:
    out.console.print(f"[bold]{escape(result.env)}[/bold] fingerprint {result.fingerprint}")
    for kind, objects in result.snapshot.items():
        out.console.print(f"  {kind:12} {len(objects)}")


def _diff(out: Output, result: Any) -> None:
    out.console.print(f"[bold]{escape(result.a)}[/bold] -> [bold]{escape(result.b)}[/bold]")
    for line in result.diff or ["(identical)"]:
        out.console.print(f"  {line}", markup=False)
    if result.note:
        out.console.print(f"[yellow]{escape(result.note)}[/yellow] (not counted above):")
        for line in result.version_artefacts:
            out.console.print(f"  {line}", style="dim", markup=False)


def _verify(out: Output, result: Any) -> None:
    for gate in sorted(result.gates, key=lambda g: -g.status.rank):
        out.console.print(
            f"gate [bold]{gate.gate}[/bold]: {badge(gate.status)}{_skip_reason(gate)}"
            f"  [dim]{gate.duration_ms:.0f} ms[/dim]"
        )
        if gate.summary.get("proven"):  # the isolation proof: what it exercised
            out.console.print(f"  {escape(gate.summary['proven'])}")
        if gate.findings:
            out.console.print(findings_table(gate.findings, group_over=GROUP_OVER))
    for warning in getattr(result, "warnings", ()):
        out.console.print(f"[yellow]warning:[/yellow] {escape(warning)}")
    out.console.print(f"verify: {badge(result.status)}")


def _skip_reason(gate: Any) -> str:
    return f" ({escape(gate.skipped)})" if gate.skipped else ""


def _bench(out: Output, result: Any) -> None:
    from rich.table import Table

    table = Table(title=f"bench queries on {escape(result.env)}", title_justify="left")
    for column in ("query", "median ms", "p95 ms", "runs", "plan"):
        table.add_column(column, justify="right" if "ms" in column or column == "runs" else "left")
    for query in result.measured["queries"].values():
        if "error" in query:
            table.add_row(escape(query["file"]), "-", "-", "-", f"[red]{escape(query['error'])}[/]")
            continue
        table.add_row(
            escape(query["file"]),
            f"{query['median_ms']:.3f}",
            f"{query['p95_ms']:.3f}",
            str(query["runs"]),
            escape(", ".join(dict.fromkeys(query["nodes"]))),
        )
    out.console.print(table)
    if result.saved:
        out.console.print(f"baseline saved: {escape(result.saved)}")
    if result.comparison is not None:
        gate = result.comparison
        out.console.print(
            f"compared with {escape(gate.summary.get('baseline'))}: {badge(gate.status)}"
            f"{_skip_reason(gate)}"
        )
        if gate.findings:
            out.console.print(findings_table(gate.findings))


def _run(out: Output, result: Any) -> None:
    findings = [f for f in result.findings if str(f.severity) != "info"]
    if findings:
        out.console.print(
            findings_table(
                findings,
                title="findings",
                group_over=GROUP_OVER,
                listed_in="the report and --format json",
            )
        )
    for step in result.steps:  # a step that could not run says why, and what to do
        if step.error:
            out.console.print(f"[bold red]{step.step}:[/bold red] {escape(step.error['message'])}")
            if step.error.get("hint"):
                out.console.print(f"[bold]hint:[/bold] {escape(step.error['hint'])}")
    for line in _skipped(result):
        out.console.print(f"  {badge('skip')} {line}")
    for step in result.steps:  # what a behavioural proof exercised, not only its verdict
        for gate in step.gates:
            if gate.summary.get("proven"):
                out.console.print(f"  gate {gate.gate}: {escape(gate.summary['proven'])}")
    verdict(out, result)
    if result.evidence_dir:
        folder = Path(result.evidence_dir)
        out.console.print(f"  report:   {escape(folder / 'report.md')}")
        out.console.print(f"  html:     {escape(folder / 'report.html')}")
        out.console.print(f"  evidence: {escape(folder)}")


def _skipped(run: Any) -> list[str]:
    """``step (why)`` and ``gate name (why)`` for every step and gate that did not run."""
    lines = []
    for step in run.steps:
        if str(step.status) == "skip":
            lines.append(f"{step.step} ({escape(step.data.get('reason', 'not run'))})")
        lines += [f"gate {g.gate}{_skip_reason(g)}" for g in step.gates if g.skipped]
    return lines


def _report(out: Output, result: Any) -> None:
    verdict(out, result.run)
    for path in result.written:
        out.console.print(f"  wrote {escape(path)}")


def _demo(out: Output, result: Any) -> None:
    _run(out, result.run)
    out.console.print(f"demo project copy: {escape(result.folder)}")


def _completion(out: Output, result: Any) -> None:
    import sys

    sys.stdout.write(result.script)  # a script for the shell: no markup, no wrapping


def verdict(out: Output, run: Any) -> None:
    """``GO  env: N error(s), M warning(s)``; a step that could not run counts as an error."""
    counts = run.counts()
    out.console.print(
        f"{badge(run.verdict)}  {escape(run.env)}: {counts['error']} error(s), "
        f"{counts['warning']} warning(s)"
    )


RENDERERS: dict[str, Callable[..., None]] = {
    "EnvReport": _env_report,
    "ValidateResult": _validate,
    "StatusResult": _status,
    "MigrateResult": _migrate,
    "PlanResult": _plan,
    "AdoptResult": _adopt,
    "CreatedResult": _created,
    "RollbackResult": _rollback,
    "MaintenanceResult": _maintenance,
    "DerivedDown": _derived_down,
    "SchemaResult": _schema,
    "DiffResult": _diff,
    "VerifyResult": _verify,
    "BenchResult": _bench,
    "RunResult": _run,
    "ReportResult": _report,
    "DemoResult": _demo,
    "CompletionResult": _completion,
}


# ------------------------------------------------------------- the live step view


class StepView:
    """The live view: a spinner on the running step, then one line per step with status and time."""

    def __init__(self, out: Output) -> None:
        self.out = out
        self._spinner: Any = None
        self._server_announced = False

    def emit(self, event: Event) -> None:
        """Draw step events; pass the rest to the output's usual progress display."""
        if event.data.get("warning"):
            self.out.emit(event)  # said in every mode (the URL's source)
            return
        if self.out.settings.json and not self.out.settings.verbose:
            return
        if event.kind == "step.started":
            self._start(event.data["step"])
        elif event.kind == "step.finished":
            self._finish(event.data["step"], event.data["status"], event.data["duration_ms"])
            self._reason(event.data.get("error"))
        elif event.kind == "server.starting":
            # Every step opens a session; the embedded server starts only for the first.
            if not self._server_announced or self.out.settings.verbose:
                self.out.emit(event)
            self._server_announced = True
        elif self.out.settings.verbose:
            self.out.emit(event)

    def _start(self, step: str) -> None:
        if self.out.err.is_terminal:
            self._spinner = self.out.err.status(f"{step}…", spinner="dots")
            self._spinner.start()

    def _finish(self, step: str, status: str, duration_ms: float) -> None:
        self.stop()
        self.out.close_progress()
        seconds = f"{duration_ms / 1000:.1f} s"
        self.out.err.print(
            f"{STEP_MARK.get(status, ' ')} {step:<12} {badge(status):<20} [dim]{seconds}[/dim]"
        )

    def _reason(self, error: dict[str, str] | None) -> None:
        # Under a step that could not run: why, and what to do (not only in report.md).
        if not error:
            return
        self.out.err.print(f"    [bold red]error:[/bold red] {escape(error['message'])}")
        if error.get("hint"):
            self.out.err.print(f"    [bold]hint:[/bold] {escape(error['hint'])}")

    def stop(self) -> None:
        """Stop the spinner (before a question or the final report)."""
        if self._spinner is not None:
            self._spinner.stop()
            self._spinner = None

    def confirm(self, question: str) -> bool:
        """Ask with the spinner out of the way."""
        self.stop()
        return self.out.confirm(question)
