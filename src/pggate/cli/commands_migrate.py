"""``pggate validate``, ``status``, ``migrate``, ``new``, ``init`` and ``adopt``."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from . import hot, interrupts
from .command import Invocation, command

WITH_YES = hot.GLOBAL


@command(
    "validate",
    on_interrupt=interrupts.reads_only("validate reads the files and, with --env, the history"),
)
def validate(
    run: Invocation,
    require_down: Annotated[
        bool, typer.Option("--require-down", help="A missing down section is an error.")
    ] = False,
) -> Any:
    """Validate every migration file offline with the PostgreSQL parser; lint lock hazards.

    With --env also compare the files with what that environment applied (edited files,
    versions missing from the folder). Exit 2 on any error finding.
    """
    from .. import api

    return api.validate(run.project, run.env_given, require_down=require_down, emit=run.emit)


@command("status", on_interrupt=hot.STATUS.on_interrupt)
def status(
    run: Invocation,
    show_all: Annotated[
        bool, typer.Option("--all", help="List every applied migration, not only the latest.")
    ] = False,
) -> Any:
    """Show applied (when, by whom, how long), pending, edited-after-apply and missing migrations.

    The table lists the latest applied migrations and every pending one; --all lists every
    applied one too. --format json always holds them all.
    """
    return hot.status(run, show_all=show_all)


@command("migrate", shared=WITH_YES, on_interrupt=hot.MIGRATE.on_interrupt)
def migrate(
    run: Invocation,
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
) -> Any:
    """Apply pending migrations: advisory lock, one transaction per migration with its history row.

    Validates first and refuses (exit 2) before touching the database on any error. A failed
    migration is rolled back and reported as file:line (exit 1); earlier ones stay applied.
    """
    return hot.migrate(
        run,
        to=to,
        dry_run=dry_run,
        show_plan=show_plan,
        single_transaction=single_transaction,
        lock_wait=lock_wait,
    )


@command("new", shared=("project", "format"))
def new(
    run: Invocation,
    name: Annotated[str, typer.Argument(help="What the migration does, e.g. add_tasks_index.")],
) -> Any:
    """Create the next migration file (timestamp or next number, like the folder) with up and down."""
    from .. import api
    from ..results import CreatedResult

    return CreatedResult((str(api.new(run.project, name)),))


@command("init", shared=("format",))
def init(
    run: Invocation,
    folder: Annotated[str, typer.Argument(help="Folder for the new project.")] = ".",
    supabase: Annotated[
        bool, typer.Option("--supabase", help="Supabase layout (supabase/migrations).")
    ] = False,
) -> Any:
    """Create a project: commented pggate.toml, migrations and checks folders, .env.example, .gitignore."""
    from .. import api
    from ..results import CreatedResult

    created = api.init(folder, supabase=supabase)
    return CreatedResult(
        tuple(str(p) for p in created),
        next_step="next: fill in .env.staging, then `pggate new create_tables` and `pggate migrate`",
    )


@command("adopt", shared=WITH_YES, on_interrupt=interrupts.writes_history("adopt"))
def adopt(
    run: Invocation,
    source: Annotated[
        str,
        typer.Option(
            "--from", help="Whose history records the applied versions: supabase, dbmate, flyway."
        ),
    ] = "supabase",
) -> Any:
    """Mark the versions another tool recorded as applied, without running them.

    Reads supabase_migrations.schema_migrations (supabase), schema_migrations (dbmate)
    or flyway_schema_history (flyway). Afterwards
    `pggate migrate` applies only what is new. Refuses (exit 2) when a recorded version
    has no file in the migrations folder; nothing is written then.
    """
    from .. import api

    return api.adopt(run.project, run.env, source=source, confirm=run.confirm, emit=run.emit)
