"""``pggate repair``, ``baseline`` and ``down``: editing pggate's history on purpose, recorded."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from . import interrupts
from .command import Invocation, command

WITH_YES = ("project", "env", "format", "yes", "verbose")
ReasonOpt = Annotated[
    str | None, typer.Option("--reason", help="Why: recorded in the event with who and when.")
]


@command("repair", shared=WITH_YES, on_interrupt=interrupts.writes_history("repair"))
def repair(
    run: Invocation,
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
) -> Any:
    """Mark versions applied or reverted in pggate's history, or re-sync edited files' checksums.

    Like `supabase migration repair` and Flyway's repair: no migration SQL runs, only the
    history changes; each change is an event (who, when, --reason). Confirm environments
    ask (refused without --yes when not interactive). Exit 2 on an unknown version.
    """
    from .. import api

    return api.repair(
        run.project,
        run.env,
        versions,
        status=status,
        checksum=checksum,
        reason=reason,
        confirm=run.confirm,
        emit=run.emit,
    )


@command("baseline", shared=WITH_YES, on_interrupt=interrupts.writes_history("baseline"))
def baseline(
    run: Invocation,
    version: Annotated[
        str, typer.Option("--version", help="Newest migration the database already contains.")
    ],
    reason: ReasonOpt = None,
) -> Any:
    """Adopt a database built by hand or another tool: files up to --version recorded applied.

    Nothing runs; the live schema is recorded as that version's fingerprint, and later
    files apply normally with `pggate migrate`. Refused when pggate's history has rows.
    """
    from .. import api

    return api.baseline(
        run.project, run.env, version=version, reason=reason, confirm=run.confirm, emit=run.emit
    )


@command(
    "down", on_interrupt=interrupts.reads_only("down only reads the schema the history recorded")
)
def down(
    run: Invocation,
    version: Annotated[str, typer.Argument(help="An applied version without a down section.")],
    write: Annotated[
        bool, typer.Option("--write", help="Append it to the file as its down section.")
    ] = False,
) -> Any:
    """Print the down derived from the schema recorded before and after an applied migration.

    Lists what it cannot reverse (data changes, dropped data, enum labels, functions with
    no earlier definition). Review it; --write appends it to the file. Exit 2 when the
    version is not applied there or its snapshots were not recorded.
    """
    from .. import api

    run.text_options["written"] = write
    return api.down(run.project, run.env, version, write=write, emit=run.emit)
