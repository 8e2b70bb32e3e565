"""``pggate stage``, ``report`` and ``demo``: the staged pipeline and its reports."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer

from ..events import Event
from . import app
from .options import EnvOpt, FormatOpt, ProjectOpt, VerboseOpt, YesOpt, settings
from .output import Output

STEP_MARK = {"pass": "✓", "warn": "!", "fail": "✗", "error": "✗", "skip": "-"}


class StepView:
    """The live view: a spinner on the running step, then one line per step with status and time."""

    def __init__(self, out: Output) -> None:
        self.out = out
        self._spinner: Any = None
        self._server_announced = False

    def emit(self, event: Event) -> None:
        """Draw step events; pass the rest to the output's usual progress display."""
        if self.out.settings.json and not self.out.settings.verbose:
            return
        if event.kind == "step.started":
            self._start(event.data["step"])
        elif event.kind == "step.finished":
            self._finish(event.data["step"], event.data["status"], event.data["duration_ms"])
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
        from .render import badge

        self.stop()
        self.out.close_progress()
        seconds = f"{duration_ms / 1000:.1f} s"
        self.out.err.print(
            f"{STEP_MARK.get(status, ' ')} {step:<12} {badge(status):<20} [dim]{seconds}[/dim]"
        )

    def stop(self) -> None:
        """Stop the spinner (before a question or the final report)."""
        if self._spinner is not None:
            self._spinner.stop()
            self._spinner = None

    def confirm(self, question: str) -> bool:
        """Ask with the spinner out of the way."""
        self.stop()
        return self.out.confirm(question)


@app.command("stage")
def stage(
    ctx: typer.Context,
    project: ProjectOpt = None,
    env: EnvOpt = None,
    rehearse_rollback: Annotated[
        bool,
        typer.Option(
            "--rehearse-rollback",
            help="Roll back to the version before this run, prove it, migrate again.",
        ),
    ] = False,
    evidence: Annotated[
        Path | None,
        typer.Option("--evidence", help="Evidence folder (default: evidence/<env>_<run id>)."),
    ] = None,
    yes: YesOpt = False,
    format: FormatOpt = None,  # noqa: A002
    verbose: VerboseOpt = False,
) -> int:
    """Run the whole pipeline and write the evidence package: GO or NO-GO.

    Steps: environment, validate, baseline, migrate, security gates, integrity gates,
    performance, rollback rehearsal (opt-in), report. Stops at a failed mandatory step
    (environment, validate, migrate) and still writes the report. Exit 0 GO, 1 NO-GO,
    2 bad input, 3 database unreachable.
    """
    opts = settings(ctx, project=project, env=env, format=format, yes=yes, verbose=verbose)
    out = Output(opts)
    view = StepView(out)
    from .. import pipeline

    try:
        result = pipeline.stage(
            opts.project,
            opts.env_name,
            rehearse_rollback=rehearse_rollback,
            evidence=evidence,
            confirm=view.confirm,
            emit=view.emit,
        )
    finally:
        view.stop()
    _github(result)
    return out.result(result, _render_run)


@app.command("report")
def report(
    ctx: typer.Context,
    folder: Annotated[
        Path, typer.Argument(help="An evidence package folder written by pggate stage.")
    ],
    formats: Annotated[
        str, typer.Option("--formats", help="Comma-separated: md,html,junit,json (default: all).")
    ] = "md,html,junit,json",
    compare: Annotated[
        Path | None,
        typer.Option(
            "--compare",
            help="A previous evidence package: show new and fixed findings, migrations "
            "added, bench queries moved.",
        ),
    ] = None,
    format: FormatOpt = None,  # noqa: A002
    verbose: VerboseOpt = False,
) -> int:
    """Rebuild the reports of an evidence package from its files alone (no database).

    Exit code is the recorded run's: 0 GO, 1 NO-GO (an incomplete package is NO-GO).
    """
    opts = settings(ctx, format=format, verbose=verbose)
    out = Output(opts)
    from .. import api

    chosen = [f.strip() for f in formats.split(",") if f.strip()]
    result = api.report(folder, chosen, compare=compare)

    def render(out: Output, result: Any) -> None:
        _verdict(out, result.run)
        for path in result.written:
            out.console.print(f"  wrote {path}")

    return out.result(result, render)


@app.command("demo")
def demo(
    ctx: typer.Context,
    example: Annotated[
        Path | None,
        typer.Option("--example", help="Project folder to demo (default: examples/saas)."),
    ] = None,
    format: FormatOpt = None,  # noqa: A002
    verbose: VerboseOpt = False,
) -> int:
    """Stage the example project on a throwaway embedded PostgreSQL, rollback rehearsal included.

    Copies the example to a temporary folder, runs `stage --env local --yes
    --rehearse-rollback` there, prints the verdict and where the reports are.
    """
    opts = settings(ctx, format=format, verbose=verbose)
    out = Output(opts)
    view = StepView(out)
    from .. import pipeline

    try:
        result = pipeline.demo(example, emit=view.emit)
    finally:
        view.stop()

    def render(out: Output, result: Any) -> None:
        _render_run(out, result.run)
        out.console.print(f"demo project copy: {result.folder}")

    return out.result(result, render)


def _render_run(out: Output, result: Any) -> None:
    from rich.markup import escape

    from .render import findings_table

    findings = [f for f in result.findings if str(f.severity) != "info"]
    if findings:
        out.console.print(findings_table(findings, title="findings"))
    for step in result.steps:  # a step that could not run says why, and what to do
        if step.error:
            out.console.print(f"[bold red]{step.step}:[/bold red] {escape(step.error['message'])}")
            if step.error.get("hint"):
                out.console.print(f"[bold]hint:[/bold] {escape(str(step.error['hint']))}")
    _verdict(out, result)
    if result.evidence_dir:
        folder = Path(result.evidence_dir)
        out.console.print(f"  report:   {folder / 'report.md'}")
        out.console.print(f"  html:     {folder / 'report.html'}")
        out.console.print(f"  evidence: {folder}")


def _verdict(out: Output, run: Any) -> None:
    from .render import badge

    counts = {"error": 0, "warning": 0}
    for finding in run.findings:
        counts[str(finding.severity)] = counts.get(str(finding.severity), 0) + 1
    out.console.print(
        f"{badge(run.verdict)}  {run.env}: {counts['error']} error(s), "
        f"{counts['warning']} warning(s)"
    )


def _github(result: Any) -> None:
    """In GitHub Actions: the summary into the job page, annotations on migration files."""
    summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary_file and result.evidence_dir:
        from ..evidence import Evidence
        from ..evidence.markdown import summary
        from ..evidence.view import ReportView
        from ..masking import mask

        text = summary(ReportView(Evidence.load(result.evidence_dir)))
        with open(summary_file, "a", encoding="utf-8") as handle:
            handle.write(mask(text) + "\n")
    if os.environ.get("GITHUB_ACTIONS") == "true":
        for finding in result.findings:
            if finding.file and str(finding.severity) == "error":
                line = f",line={finding.line}" if finding.line else ""
                message = (
                    finding.message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
                )
                print(f"::error file={finding.file}{line},title={finding.check}::{message}")
