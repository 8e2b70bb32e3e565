"""``pggate stage``, ``report`` and ``demo``: the staged pipeline and its reports."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from . import interrupts
from .command import Invocation, command


@command(
    "stage",
    shared=("project", "env", "format", "yes", "verbose"),
    live=True,
    on_interrupt=interrupts.after_stage,
)
def stage(
    run: Invocation,
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
) -> Any:
    """Run the whole pipeline and write the evidence package: GO or NO-GO.

    Steps: environment, validate, baseline, migrate, security gates, integrity gates,
    performance, rollback rehearsal (opt-in), report. Stops at a failed mandatory step
    (environment, validate, migrate) and still writes the report. Exit 0 GO, 1 NO-GO,
    2 bad input, 3 database unreachable.
    """
    from .. import pipeline

    return pipeline.stage(
        run.project,
        run.env,
        rehearse_rollback=rehearse_rollback,
        evidence=evidence,
        confirm=run.confirm,
        emit=run.emit,
    )


@command("report", shared=("format", "verbose"))
def report(
    run: Invocation,
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
) -> Any:
    """Rebuild the reports of an evidence package from its files alone (no database).

    Exit code is the recorded run's: 0 GO, 1 NO-GO (an incomplete package is NO-GO).
    """
    from .. import api

    chosen = [f.strip() for f in formats.split(",") if f.strip()]
    return api.report(folder, chosen, compare=compare)


@command("demo", shared=("format", "verbose"), live=True, on_interrupt=interrupts.after_demo)
def demo(
    run: Invocation,
    example: Annotated[
        Path | None,
        typer.Option("--example", help="Project folder to demo (default: examples/saas)."),
    ] = None,
) -> Any:
    """Stage the example project on a throwaway embedded PostgreSQL, rollback rehearsal included.

    Copies the example to a temporary folder, runs `stage --env local --yes
    --rehearse-rollback` there, prints the verdict and where the reports are.
    """
    from .. import pipeline

    return pipeline.demo(example, emit=run.emit)
