"""``pggate validate``, ``status``, ``migrate`` and ``new``."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

import typer

from . import app
from .options import EnvOpt, FormatOpt, ProjectOpt, VerboseOpt, YesOpt, settings
from .output import Output


@app.command("validate")
def validate(
    ctx: typer.Context,
    project: ProjectOpt = None,
    env: EnvOpt = None,
    require_down: Annotated[
        bool, typer.Option("--require-down", help="A missing down section is an error.")
    ] = False,
    format: FormatOpt = None,  # noqa: A002
    verbose: VerboseOpt = False,
) -> int:
    """Validate every migration file offline with the PostgreSQL parser; lint lock hazards.

    With --env also compare the files with what that environment applied (edited files,
    versions missing from the folder). Exit 2 on any error finding.
    """
    opts = settings(ctx, project=project, env=env, format=format, verbose=verbose)
    out = Output(opts)
    from .. import api

    result = api.validate(opts.project, opts.env, require_down=require_down, emit=out.emit)
    return out.result(result, _render_validate)


@app.command("status")
def status(
    ctx: typer.Context,
    project: ProjectOpt = None,
    env: EnvOpt = None,
    show_all: Annotated[
        bool, typer.Option("--all", help="List every applied migration, not only the latest.")
    ] = False,
    format: FormatOpt = None,  # noqa: A002
    verbose: VerboseOpt = False,
) -> int:
    """Show applied (when, by whom, how long), pending, edited-after-apply and missing migrations.

    The table lists the latest applied migrations and every pending one; --all lists every
    applied one too. --format json always holds them all.
    """
    opts = settings(ctx, project=project, env=env, format=format, verbose=verbose)
    out = Output(opts)
    from .. import api

    result = api.status(opts.project, opts.env_name, emit=out.emit)
    return out.result(result, partial(_render_status, show_all=show_all))


@app.command("migrate")
def migrate(
    ctx: typer.Context,
    project: ProjectOpt = None,
    env: EnvOpt = None,
    to: Annotated[
        str | None, typer.Option("--to", help="Apply up to and including this version.")
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="Rehearse: execute the SQL for real inside one transaction (taking real locks "
            "while it runs), then roll it back. --plan only shows it.",
        ),
    ] = False,
    show_plan: Annotated[
        bool,
        typer.Option(
            "--plan",
            help="Show the statements each pending file would run; sends nothing to the "
            "server but a read of the history.",
        ),
    ] = False,
    single_transaction: Annotated[
        bool, typer.Option("--single-transaction", help="Apply all pending migrations as one unit.")
    ] = False,
    lock_wait: Annotated[
        float | None,
        typer.Option(
            "--lock-wait",
            help="Seconds to wait for another runner's lock (default: env lock_wait, 60).",
        ),
    ] = None,
    yes: YesOpt = False,
    format: FormatOpt = None,  # noqa: A002
    verbose: VerboseOpt = False,
) -> int:
    """Apply pending migrations: advisory lock, one transaction per migration with its history row.

    Validates first and refuses (exit 2) before touching the database on any error. A failed
    migration is rolled back and reported as file:line (exit 1); earlier ones stay applied.
    """
    opts = settings(ctx, project=project, env=env, format=format, yes=yes, verbose=verbose)
    out = Output(opts)
    from .. import api

    if show_plan:
        planned = api.migrate_plan(opts.project, opts.env_name, to=to, emit=out.emit)
        return out.result(planned, _render_plan)
    result = api.migrate(
        opts.project,
        opts.env_name,
        to=to,
        dry_run=dry_run,
        single_transaction=single_transaction,
        lock_wait=lock_wait,
        confirm=out.confirm,
        emit=out.emit,
    )
    return out.result(result, _render_migrate)


@app.command("new")
def new(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="What the migration does, e.g. add_tasks_index.")],
    project: ProjectOpt = None,
    format: FormatOpt = None,  # noqa: A002
) -> int:
    """Create the next migration file (timestamp or next number, like the folder) with up and down."""
    opts = settings(ctx, project=project, format=format)
    out = Output(opts)
    from .. import api

    path = api.new(opts.project, name)
    if opts.json:
        out.json({"created": str(path)})
    else:
        out.console.print(f"created [bold]{path}[/bold]")
    return 0


@app.command("init")
def init(
    ctx: typer.Context,
    folder: Annotated[str, typer.Argument(help="Folder for the new project.")] = ".",
    supabase: Annotated[
        bool, typer.Option("--supabase", help="Supabase layout (supabase/migrations).")
    ] = False,
    format: FormatOpt = None,  # noqa: A002
) -> int:
    """Create a project: commented pggate.toml, migrations and checks folders, .env.example, .gitignore."""
    opts = settings(ctx, format=format)
    out = Output(opts)
    from .. import api

    created = api.init(folder, supabase=supabase)
    if opts.json:
        out.json({"created": [str(p) for p in created]})
    else:
        for path in created:
            out.console.print(f"  created {path}")
        out.console.print(
            "next: fill in .env.staging, then `pggate new create_tables` and `pggate migrate`"
        )
    return 0


def _render_validate(out: Output, result: Any) -> None:
    from .render import badge, findings_table

    out.console.print(f"{len(result.migrations)} migration file(s): {badge(result.status)}")
    if result.findings:
        out.console.print(findings_table(result.findings))


LATEST_APPLIED_SHOWN = 10


def _render_status(out: Output, result: Any, show_all: bool = False) -> None:
    from rich.table import Table

    applied = result.applied if show_all else result.applied[-LATEST_APPLIED_SHOWN:]
    hidden = len(result.applied) - len(applied)
    out.console.print(
        f"[bold]{result.env}[/bold]: {len(result.applied)} applied, {len(result.pending)} pending"
        + (f" [dim]({hidden} earlier applied not listed: --all lists them)[/dim]" if hidden else "")
    )
    table = Table(title=result.target, title_justify="left")
    for column in ("version", "name", "state", "applied at", "by", "ms"):
        table.add_column(column)
    for row in applied:
        table.add_row(
            row.version,
            row.name,
            "[green]applied[/]",
            row.finished_at.strftime("%Y-%m-%d %H:%M:%S"),
            row.applied_by,
            f"{row.duration_ms or 0:.0f}",
        )
    for migration in result.pending:
        table.add_row(migration.version, migration.name, "[yellow]pending[/]", "", "", "")
    out.console.print(table)
    if result.findings:
        from .render import findings_table

        out.console.print(findings_table(result.findings))


def _render_migrate(out: Output, result: Any) -> None:
    verb = "would apply" if result.dry_run else "applied"
    for row in result.applied:
        out.console.print(
            f"  {verb} {row['version']}_{row['name']}  [dim]{row['duration_ms']:.0f} ms[/dim]"
        )
    for note in result.notes:
        out.console.print(f"  [yellow]note:[/yellow] {note}")
    count = len(result.applied)
    suffix = (
        " (dry run: the SQL ran and held its locks, then was rolled back)" if result.dry_run else ""
    )
    summary = (
        f"{verb} {count} migration(s) in {result.duration_ms:.0f} ms{suffix}"
        if count
        else "nothing to apply"
    )
    out.console.print(f"[bold]{summary}[/bold]")


def _render_plan(out: Output, result: Any) -> None:
    from rich.markup import escape

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


@app.command("adopt")
def adopt(
    ctx: typer.Context,
    source: Annotated[
        str,
        typer.Option(
            "--from", help="Whose history records the applied versions: supabase, dbmate, flyway."
        ),
    ] = "supabase",
    project: ProjectOpt = None,
    env: EnvOpt = None,
    yes: YesOpt = False,
    format: FormatOpt = None,  # noqa: A002
    verbose: VerboseOpt = False,
) -> int:
    """Mark the versions another tool recorded as applied, without running them.

    Reads supabase_migrations.schema_migrations (supabase), schema_migrations (dbmate)
    or flyway_schema_history (flyway). Afterwards
    `pggate migrate` applies only what is new. Refuses (exit 2) when a recorded version
    has no file in the migrations folder; nothing is written then.
    """
    opts = settings(ctx, project=project, env=env, format=format, yes=yes, verbose=verbose)
    out = Output(opts)
    from .. import api

    result = api.adopt(
        opts.project, opts.env_name, source=source, confirm=out.confirm, emit=out.emit
    )

    def render(out: Output, result: Any) -> None:
        for row in result.adopted:
            out.console.print(f"  adopted {row['version']}_{row['name']}")
        if result.already:
            out.console.print(f"  already in pggate's history: {len(result.already)} version(s)")
        for note in result.notes:
            out.console.print(f"  {note}")
        if result.fingerprint:
            out.console.print(
                f"adopted {len(result.adopted)} version(s); schema fingerprint {result.fingerprint}"
            )

    return out.result(result, render)
