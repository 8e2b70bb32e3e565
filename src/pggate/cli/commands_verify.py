"""``pggate verify``."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from . import app
from .options import EnvOpt, FormatOpt, ProjectOpt, VerboseOpt, settings
from .output import Output


@app.command("verify")
def verify(
    ctx: typer.Context,
    project: ProjectOpt = None,
    env: EnvOpt = None,
    gate: Annotated[
        str | None,
        typer.Option(
            "--gate", "-g", help="Comma-separated gates to run (default: all), e.g. rls,fk."
        ),
    ] = None,
    baseline: Annotated[
        str | None,
        typer.Option(
            "--baseline", help="Perf gate: compare with this saved baseline (default: newest)."
        ),
    ] = None,
    format: FormatOpt = None,  # noqa: A002
    verbose: VerboseOpt = False,
) -> int:
    """Prove the environment: run the gates and report every finding with its fix.

    Exit 0 when no gate fails, 1 when any gate has an error finding.
    """
    opts = settings(ctx, project=project, env=env, format=format, verbose=verbose)
    out = Output(opts)
    from .. import api

    gates = [g.strip() for g in gate.split(",") if g.strip()] if gate else None
    options = {"baseline": baseline} if baseline else None
    result = api.verify(opts.project, opts.env_name, gates, emit=out.emit, options=options)
    return out.result(result, _render)


@app.command("bench")
def bench(
    ctx: typer.Context,
    project: ProjectOpt = None,
    env: EnvOpt = None,
    save: Annotated[
        str | None, typer.Option("--save", help="Save the timings as baseline NAME.")
    ] = None,
    compare: Annotated[
        str | None, typer.Option("--compare", help="Compare with saved baseline NAME.")
    ] = None,
    format: FormatOpt = None,  # noqa: A002
    verbose: VerboseOpt = False,
) -> int:
    """Time the bench queries (checks/bench/*.sql) on the server's clock.

    `--save NAME` records them in .pggate/baselines/<env>/NAME.json, which
    `verify --gate perf` compares with; `--compare NAME` compares now.
    Exit 1 when a compared query got slower beyond the threshold.
    """
    opts = settings(ctx, project=project, env=env, format=format, verbose=verbose)
    out = Output(opts)
    from .. import api

    result = api.bench(opts.project, opts.env_name, save=save, compare=compare, emit=out.emit)
    return out.result(result, _render_bench)


def _render_bench(out: Output, result: Any) -> None:
    from rich.markup import escape
    from rich.table import Table

    from .render import badge, findings_table

    table = Table(title=f"bench queries on {result.env}", title_justify="left")
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
            f"compared with {escape(str(gate.summary.get('baseline')))}: {badge(gate.status)}"
        )
        if gate.findings:
            out.console.print(findings_table(gate.findings))


def _render(out: Output, result: Any) -> None:
    from rich.markup import escape

    from .render import badge, findings_table

    ordered = sorted(result.gates, key=lambda g: -g.status.rank)
    for gate in ordered:
        out.console.print(
            f"gate [bold]{gate.gate}[/bold]: {badge(gate.status)}  [dim]{gate.duration_ms:.0f} ms[/dim]"
        )
        if gate.skipped:
            out.console.print(f"  skipped: {escape(gate.skipped)}")
        if gate.summary.get("proven"):  # the isolation proof: what it exercised
            out.console.print(f"  {escape(gate.summary['proven'])}")
        if gate.findings:
            out.console.print(findings_table(gate.findings))
    for warning in result.warnings:
        out.console.print(f"[yellow]warning:[/yellow] {escape(warning)}")
    out.console.print(f"verify: {badge(result.status)}")
