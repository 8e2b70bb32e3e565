"""``pggate rollback``, ``schema`` and ``diff``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from . import interrupts
from .command import Invocation, command


@command(
    "rollback",
    shared=("project", "env", "format", "yes", "verbose"),
    on_interrupt=interrupts.after_rollback,
)
def rollback(
    run: Invocation,
    to: Annotated[str, typer.Option("--to", help="Version to return to (0 reverts everything).")],
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="Execute the downs and the proof for real inside one transaction (real "
            "locks while it runs), then roll it back.",
        ),
    ] = False,
    backup: Annotated[
        bool, typer.Option("--backup", help="pg_dump the database into evidence/backups first.")
    ] = False,
    lock_wait: Annotated[
        float | None, typer.Option("--lock-wait", help="Seconds to wait for another runner's lock.")
    ] = None,
    prove: Annotated[
        str,
        typer.Option(
            "--prove",
            help="auto: the fingerprint recorded at V, else a replay on a "
            "shadow database; recorded; shadow.",
        ),
    ] = "auto",
    derive_downs: Annotated[
        bool,
        typer.Option(
            "--derive-downs",
            help="For files without a down, run the down derived from the recorded schema "
            "(asks first; the fingerprint proof checks it). See `pggate down`.",
        ),
    ] = False,
) -> Any:
    """Roll back to a version and prove the schema equals the fingerprint recorded there.

    Refuses (exit 2) naming every migration without a down before changing anything
    (unless --derive-downs).
    Exit 1 when the schema left differs from the one recorded at the version (the diff shows why).
    """
    from .. import api

    return api.rollback(
        run.project,
        run.env,
        to=to,
        dry_run=dry_run,
        backup=backup,
        lock_wait=lock_wait,
        prove=prove,
        derive_downs=derive_downs,
        confirm=run.confirm,
        emit=run.emit,
        trace=run.settings.verbose,
    )


@command("schema", on_interrupt=interrupts.reads_only("schema only reads the catalogs"))
def schema(run: Invocation) -> Any:
    """Print the canonical schema snapshot of an environment and its fingerprint."""
    from .. import api

    return api.schema(run.project, run.env, emit=run.emit)


@command("diff", on_interrupt=interrupts.reads_only("diff only reads schemas"))
def diff(
    run: Invocation,
    files: Annotated[
        list[Path] | None, typer.Argument(help="Two snapshot files (from `pggate schema -f json`).")
    ] = None,
    env_b: Annotated[
        str | None, typer.Option("--env-b", help="The environment to compare with.")
    ] = None,
) -> Any:
    """Structural schema diff between two environments (--env A --env-b B) or two snapshot files.

    Between major versions, differences only the version explains (PostgreSQL 18's NOT NULL
    constraints, 17's MAINTAIN privilege) are listed apart. Exit 0 when identical apart from
    those, 1 when they differ.
    """
    from .. import api

    pair = (str(files[0]), str(files[1])) if files and len(files) == 2 else None
    return api.diff(run.project, run.env_given, env_b, files=pair, emit=run.emit)
