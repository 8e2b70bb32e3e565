"""``pggate repair`` and ``baseline``: editing pggate's history on purpose, recorded as events."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from . import app
from .options import EnvOpt, FormatOpt, ProjectOpt, VerboseOpt, YesOpt, settings
from .output import Output

ReasonOpt = Annotated[
    str | None, typer.Option("--reason", help="Why: recorded in the event with who and when.")
]


@app.command("repair")
def repair(
    ctx: typer.Context,
    versions: Annotated[list[str], typer.Argument(help="Versions to repair.")],
    status: Annotated[
        str | None,
        typer.Option("--status", help="applied: record without running; reverted: forget."),
    ] = None,
    checksum: Annotated[
        bool,
        typer.Option("--checksum", help="Record the edited file's checksum (runs nothing)."),
    ] = False,
    reason: ReasonOpt = None,
    project: ProjectOpt = None,
    env: EnvOpt = None,
    yes: YesOpt = False,
    format: FormatOpt = None,  # noqa: A002
    verbose: VerboseOpt = False,
) -> int:
    """Mark versions applied or reverted in pggate's history, or re-sync edited files' checksums.

    Like `supabase migration repair` and Flyway's repair: no migration SQL runs, only the
    history changes; each change is an event (who, when, --reason). Confirm environments
    ask (refused without --yes when not interactive). Exit 2 on an unknown version.
    """
    opts = settings(ctx, project=project, env=env, format=format, yes=yes, verbose=verbose)
    out = Output(opts)
    from .. import api

    result = api.repair(
        opts.project,
        opts.env_name,
        versions,
        status=status,
        checksum=checksum,
        reason=reason,
        confirm=out.confirm,
        emit=out.emit,
    )
    return out.result(result, _render)


@app.command("baseline")
def baseline(
    ctx: typer.Context,
    version: Annotated[
        str, typer.Option("--version", help="Newest migration the database already contains.")
    ],
    reason: ReasonOpt = None,
    project: ProjectOpt = None,
    env: EnvOpt = None,
    yes: YesOpt = False,
    format: FormatOpt = None,  # noqa: A002
    verbose: VerboseOpt = False,
) -> int:
    """Adopt a database built by hand or another tool: files up to --version recorded applied.

    Nothing runs; the live schema is recorded as that version's fingerprint, and later
    files apply normally with `pggate migrate`. Refused when pggate's history has rows.
    """
    opts = settings(ctx, project=project, env=env, format=format, yes=yes, verbose=verbose)
    out = Output(opts)
    from .. import api

    result = api.baseline(
        opts.project,
        opts.env_name,
        version=version,
        reason=reason,
        confirm=out.confirm,
        emit=out.emit,
    )
    return out.result(result, _render)


def _render(out: Output, result: Any) -> None:
    verbs = {"repair": "marked", "checksum": "re-synced", "baseline": "baselined"}
    for row in result.changed:
        what = row.get("status", "checksum")
        out.console.print(f"  {verbs[result.action]} {row['version']}_{row['name']} ({what})")
    if result.unchanged:
        out.console.print(f"  already so: {', '.join(result.unchanged)}")
    if result.fingerprint:
        out.console.print(f"  schema fingerprint {result.fingerprint}")
    out.console.print(
        f"[bold]{len(result.changed)} history change(s), recorded as events; no SQL ran[/bold]"
    )


@app.command("down")
def down(
    ctx: typer.Context,
    version: Annotated[str, typer.Argument(help="An applied version without a down section.")],
    write: Annotated[
        bool, typer.Option("--write", help="Append it to the file as its down section.")
    ] = False,
    project: ProjectOpt = None,
    env: EnvOpt = None,
    format: FormatOpt = None,  # noqa: A002
    verbose: VerboseOpt = False,
) -> int:
    """Print the down derived from the schema recorded before and after an applied migration.

    Lists what it cannot reverse (data changes, dropped data, enum labels, functions with
    no earlier definition). Review it; --write appends it to the file. Exit 2 when the
    version is not applied there or its snapshots were not recorded.
    """
    opts = settings(ctx, project=project, env=env, format=format, verbose=verbose)
    out = Output(opts)
    from .. import api

    result = api.down(opts.project, opts.env_name, version, write=write, emit=out.emit)

    def render(out: Output, result: Any) -> None:
        from rich.markup import escape

        for item in result.irreversible:
            out.err.print(f"[yellow]not reversed:[/yellow] {escape(item)}")
        for item in result.data_loss:
            out.err.print(f"[yellow]data loss:[/yellow] {escape(item)}")
        if write:
            out.err.print(f"wrote the derived down into the file of {version}")
        else:
            out.console.print(escape(result.sql), end="", highlight=False, soft_wrap=True)

    return out.result(result, render)
