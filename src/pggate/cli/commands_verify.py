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
    result = api.verify(opts.project, opts.env_name, gates, emit=out.emit)
    return out.result(result, _render)


def _render(out: Output, result: Any) -> None:
    from .render import badge, findings_table

    ordered = sorted(result.gates, key=lambda g: -g.status.rank)
    for gate in ordered:
        out.console.print(
            f"gate [bold]{gate.gate}[/bold]: {badge(gate.status)}  [dim]{gate.duration_ms:.0f} ms[/dim]"
        )
        if gate.findings:
            out.console.print(findings_table(gate.findings))
    out.console.print(f"verify: {badge(result.status)}")
