"""``pggate check-env``."""

from __future__ import annotations

import typer

from . import app
from .options import EnvOpt, FormatOpt, ProjectOpt, VerboseOpt, settings
from .output import Output


@app.command("check-env")
def check_env(
    ctx: typer.Context,
    project: ProjectOpt = None,
    env: EnvOpt = None,
    format: FormatOpt = None,  # noqa: A002
    verbose: VerboseOpt = False,
) -> int:
    """Check an environment: env file, URL, connectivity, version, privileges, extensions.

    Exit 0 usable, 1 unusable (standby, too old, pooler), 2 bad configuration,
    3 unreachable or authentication failed. Secrets are always masked.
    """
    opts = settings(ctx, project=project, env=env, format=format, verbose=verbose)
    out = Output(opts)
    from .. import api

    report = api.check_env(opts.project, opts.env_name, emit=out.emit)
    return out.result(report, render_env_report)


def render_env_report(out: Output, report) -> None:  # type: ignore[no-untyped-def]
    """The check-env report as text."""
    from .render import badge, facts_table, findings_table

    console = out.console
    console.print(f"environment [bold]{report.env}[/bold]: {badge(report.status)}")
    facts = {"target": report.target, "url from": report.source, **report.facts}
    console.print(facts_table(facts))
    if report.extensions:
        names = ", ".join(f"{e['name']} {e['version']}" for e in report.extensions)
        console.print(f"[bold]extensions[/bold]  {names}")
    if report.facts.get("identity"):
        console.print(f'[dim]pin this environment with: pin = "{report.facts["identity"]}"[/dim]')
    if report.findings:
        console.print(findings_table(report.findings))
