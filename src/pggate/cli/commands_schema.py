"""``pggate rollback``, ``schema`` and ``diff``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from . import app
from .options import EnvOpt, FormatOpt, ProjectOpt, VerboseOpt, YesOpt, settings
from .output import Output


@app.command("rollback")
def rollback(
    ctx: typer.Context,
    to: Annotated[str, typer.Option("--to", help="Version to return to (0 reverts everything).")],
    project: ProjectOpt = None,
    env: EnvOpt = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Revert and prove inside a transaction, then roll it back."),
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
    yes: YesOpt = False,
    format: FormatOpt = None,  # noqa: A002
    verbose: VerboseOpt = False,
) -> int:
    """Roll back to a version and prove the schema equals the fingerprint recorded there.

    Refuses (exit 2) naming every migration without a down before changing anything
    (unless --derive-downs).
    Exit 1 when the schema left differs from the one recorded at the version (the diff shows why).
    """
    opts = settings(ctx, project=project, env=env, format=format, yes=yes, verbose=verbose)
    out = Output(opts)
    from .. import api

    result = api.rollback(
        opts.project,
        opts.env_name,
        to=to,
        dry_run=dry_run,
        backup=backup,
        lock_wait=lock_wait,
        prove=prove,
        derive_downs=derive_downs,
        confirm=out.confirm,
        emit=out.emit,
    )
    return out.result(result, _render_rollback)


@app.command("schema")
def schema(
    ctx: typer.Context,
    project: ProjectOpt = None,
    env: EnvOpt = None,
    format: FormatOpt = None,  # noqa: A002
    verbose: VerboseOpt = False,
) -> int:
    """Print the canonical schema snapshot of an environment and its fingerprint."""
    opts = settings(ctx, project=project, env=env, format=format, verbose=verbose)
    out = Output(opts)
    from .. import api

    result = api.schema(opts.project, opts.env_name, emit=out.emit)
    if opts.json:
        out.json(result)
        return 0
    snapshot: dict[str, Any] = result["snapshot"]  # type: ignore[assignment]
    out.console.print(f"[bold]{result['env']}[/bold] fingerprint {result['fingerprint']}")
    for kind, objects in snapshot.items():
        out.console.print(f"  {kind:12} {len(objects)}")
    return 0


@app.command("diff")
def diff(
    ctx: typer.Context,
    files: Annotated[
        list[Path] | None, typer.Argument(help="Two snapshot files (from `pggate schema -f json`).")
    ] = None,
    project: ProjectOpt = None,
    env: EnvOpt = None,
    env_b: Annotated[
        str | None, typer.Option("--env-b", help="The environment to compare with.")
    ] = None,
    format: FormatOpt = None,  # noqa: A002
    verbose: VerboseOpt = False,
) -> int:
    """Structural schema diff between two environments (--env A --env-b B) or two snapshot files.

    Between major versions, differences only the version explains (PostgreSQL 18's NOT NULL
    constraints, 17's MAINTAIN privilege) are listed apart. Exit 0 when identical apart from
    those, 1 when they differ.
    """
    opts = settings(ctx, project=project, env=env, format=format, verbose=verbose)
    out = Output(opts)
    from .. import api

    pair = (str(files[0]), str(files[1])) if files and len(files) == 2 else None
    result = api.diff(opts.project, opts.env, env_b, files=pair, emit=out.emit)
    if opts.json:
        out.json(result)
    else:
        lines = result["diff"] or ["(identical)"]
        out.console.print(f"[bold]{result['a']}[/bold] -> [bold]{result['b']}[/bold]")
        for line in lines:  # type: ignore[union-attr]
            out.console.print(f"  {line}", markup=False)
        if result.get("note"):
            out.console.print(f"[yellow]{result['note']}[/yellow] (not counted above):")
            for line in result["version_artefacts"]:  # type: ignore[union-attr]
                out.console.print(f"  {line}", style="dim", markup=False)
    return 0 if result["identical"] else 1


def _render_rollback(out: Output, result: Any) -> None:
    verb = "would revert" if result.dry_run else "reverted"
    for row in result.reverted:
        out.console.print(f"  {verb} {row['version']}_{row['name']}")
    if result.backup:
        out.console.print(f"  backup: {result.backup}")
    proof = result.proof
    status = proof["status"]
    if status == "proven":
        how = (
            "a replay on a shadow database"
            if proof.get("method") == "shadow"
            else "the fingerprint recorded there"
        )
        out.console.print(
            f"[bold green]proven:[/] schema at version {result.to} matches {how} ({proof['expected']})"
        )
    elif status == "mismatch":
        out.console.print(f"[bold red]NOT PROVEN:[/] {proof['message']}")
        for line in proof.get("diff", []):
            out.console.print(f"  {line}", markup=False)
    else:
        out.console.print(f"[bold yellow]unproven:[/] {proof['message']}")
    for warning in result.warnings:
        out.console.print(f"[yellow]warning:[/] {warning}")
    if result.health:
        from .render import badge, findings_table

        statuses = ", ".join(f"{g.gate} {badge(g.status)}" for g in result.health)
        out.console.print(f"health after rollback: {statuses}")
        findings = [f for g in result.health for f in g.findings]
        if findings:
            out.console.print(findings_table(findings))
