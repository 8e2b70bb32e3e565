"""The Typer app: every command, its options and help.

Commands live in small modules beside this one, each registering itself on
``app``; heavy imports (psycopg, pglast, rich tables) happen inside command
bodies. ``hot`` runs the commonest command lines of ``status`` and ``migrate``
without importing this module at all.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from .. import __version__
from .options import EnvOpt, FormatOpt, ProjectOpt, Settings, VerboseOpt, YesOpt
from .runner import exit_with

app = typer.Typer(
    name="pggate",
    help="Apply PostgreSQL / Supabase migrations to an environment and prove the result "
    "(RLS isolation, foreign keys, smoke, performance, proven rollback) before promotion.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
    result_callback=exit_with,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"pggate {__version__}")
        raise typer.Exit()


@app.callback()
def _globals(
    ctx: typer.Context,
    project: ProjectOpt = None,
    env: EnvOpt = None,
    format: FormatOpt = None,  # noqa: A002
    yes: YesOpt = False,
    verbose: VerboseOpt = False,
    version: Annotated[
        bool | None,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = None,
) -> None:
    """Options given before the command apply to it (they can also follow it)."""
    ctx.obj = Settings(
        project=project, env=env, format=format or Settings.format, yes=yes, verbose=verbose
    )


def _register() -> None:
    # Importing a command module registers its commands on ``app``.
    from . import (  # noqa: F401
        commands_env,
        commands_maintenance,
        commands_migrate,
        commands_schema,
        commands_shell,
        commands_stage,
        commands_verify,
    )


_register()


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``pggate`` script; returns the process exit code."""
    from .runner import run

    return run(app, sys.argv[1:] if argv is None else argv)
